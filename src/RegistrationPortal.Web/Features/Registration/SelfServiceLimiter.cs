using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// The self-service page's per-client-address limit (<c>Api:RateLimit</c>, the API's: read as it is now, and a refused
/// address is told to wait the window, as the API tells it), asked when a form is posted (opening the page costs nothing).
/// </summary>
public sealed class SelfServiceLimiter(IOptionsMonitor<ApiOptions> options, PortalTelemetry telemetry)
    : AddressLimiter(() => (options.CurrentValue.RateLimit.PermitLimit, options.CurrentValue.RateLimit.Window), segmentsPerWindow: 6)
{
    protected override void OnRejected() => telemetry.ThrottleRejection("per_address", ActorKind.SelfService);
}
