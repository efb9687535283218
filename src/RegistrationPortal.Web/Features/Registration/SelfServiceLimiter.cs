using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// The self-service page's per-client-address limit (<c>Api:RateLimit</c>), asked when a form is posted (opening the
/// page costs nothing).
/// </summary>
public sealed class SelfServiceLimiter(IOptions<ApiOptions> options, PortalTelemetry telemetry)
    : AddressLimiter(options.Value.RateLimit.PermitLimit, options.Value.RateLimit.Window, segmentsPerWindow: 6)
{
    protected override void OnRejected() => telemetry.ThrottleRejection("per_address", ActorKind.SelfService);
}
