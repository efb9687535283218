using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Components.Account;

/// <summary>
/// The sign-in form's per-client-address limit. The login page asks it when its form is posted, before any password is
/// checked (opening the page costs nothing). Every post counts, right password or wrong, so fifty posts at once spend no
/// more than the limit.
/// </summary>
public sealed class SignInLimiter(IOptions<PortalIdentityOptions> options)
    : AddressLimiter(options.Value.SignInPermitLimit, options.Value.SignInWindow, segmentsPerWindow: 5);
