namespace RegistrationPortal.Web.Components.Shared;

/// <summary>Who is on the other end of the circuit, for audit events.</summary>
public sealed record ClientInfo(string? Address);
