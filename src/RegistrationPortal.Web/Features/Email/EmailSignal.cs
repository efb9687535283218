using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Email;

/// <summary>Wakes the dispatcher when a commit has queued mail.</summary>
public sealed class EmailSignal : WakeSignal;

/// <summary>The Data Protection purpose of the secret part of an outbox row.</summary>
public static class OutboxPayload
{
    public const string Purpose = "RegistrationPortal.Outbox.Code.v1";
}
