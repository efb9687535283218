using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>A resend's outcome in the portal's metrics and spans (<see cref="PortalTelemetry"/> knows no feature's types).</summary>
public static class ResendTelemetry
{
    public static string Outcome(ResendStatus status) => status switch
    {
        ResendStatus.Sent => "sent",
        ResendStatus.AlreadyRegistered => "already_registered",
        ResendStatus.Deactivated => "deactivated",
        ResendStatus.Unknown => "unknown",
        ResendStatus.Throttled => "throttled",
        _ => "nonce_replayed",
    };

    public static void Resend(this PortalTelemetry telemetry, ActorKind door, ResendStatus outcome)
    {
        telemetry.Resend(door, Outcome(outcome));
        if (outcome == ResendStatus.Throttled)
        {
            telemetry.ThrottleRejection("per_user", door);
        }
    }
}
