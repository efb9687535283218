namespace RegistrationPortal.Web.Features.Registration;

/// <summary>Server-wide secrets, stored protected by ASP.NET Core Data Protection.</summary>
public sealed class ServerSecret
{
    public required string Name { get; init; }

    public required string ProtectedValue { get; init; }
}
