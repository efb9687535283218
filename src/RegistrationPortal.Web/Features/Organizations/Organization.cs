namespace RegistrationPortal.Web.Features.Organizations;

public sealed class Organization
{
    public required string Id { get; init; }

    public required string Name { get; set; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>An API application of an organization: the id that clients send as <c>X-DFNS-APPID</c>.</summary>
public sealed class ApiApplication
{
    public required string Id { get; init; }

    public required string OrgId { get; init; }

    public required string Name { get; set; }

    public bool IsActive { get; set; } = true;

    public DateTimeOffset CreatedAt { get; init; }
}
