using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>One issued registration code. Only its keyed hash is stored; the plaintext never is.</summary>
public sealed class RegistrationCode
{
    public Guid Id { get; init; }

    public required string OrgId { get; init; }

    public required string UserId { get; init; }

    public required byte[] CodeHash { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? UsedAt { get; set; }

    public DateTimeOffset? InvalidatedAt { get; set; }

    /// <summary>Why the code stopped being valid before use: replaced, guessing cut-off, user deactivated.</summary>
    public string? InvalidatedReason { get; set; }

    /// <summary>Which door asked for the code (<see cref="ActorKind"/>).</summary>
    public ActorKind IssuedThrough { get; init; }

    /// <summary>Who asked for it: an admin's id, an application id, or empty for self-service.</summary>
    public string? IssuedBy { get; init; }

    /// <summary>Wrong codes tried in a row against this code; reaching the cut-off invalidates it.</summary>
    public int FailedAttempts { get; set; }
}
