using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Organizations;

public enum UserKind
{
    CustomerEmployee,
    EndUser,
}

/// <summary>A user of an organization; pending until registration completes with a code.</summary>
public sealed class OrgUser
{
    public required string Id { get; init; }

    public required string OrgId { get; init; }

    /// <summary>The email as it was given.</summary>
    public required string Username { get; set; }

    /// <summary><see cref="EmailAddress.Normalize"/> of <see cref="Username"/>; unique per organization.</summary>
    public required string NormalizedUsername { get; set; }

    public UserKind Kind { get; set; }

    public bool IsActive { get; set; } = true;

    public bool IsRegistered { get; set; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? RegisteredAt { get; set; }

    /// <summary>The language of the user's registration emails (<see cref="Shared.PortalLanguages"/>).</summary>
    public string Language { get; set; } = Shared.PortalLanguages.Default;
}
