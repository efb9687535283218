using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Components.Account;

/// <summary>
/// The sign-in form's per-client-address limit. The login page asks it when its form is posted, before any password is
/// checked (opening the page costs nothing). Every post counts, right password or wrong, so fifty posts at once spend no
/// more than the limit. A refused address is told to wait the window (it was told a minute, whatever the window), and
/// the limits follow a settings change.
/// </summary>
public sealed class SignInLimiter(IOptionsMonitor<PortalIdentityOptions> options)
    : AddressLimiter(() => (options.CurrentValue.SignInPermitLimit, options.CurrentValue.SignInWindow), segmentsPerWindow: 5);
