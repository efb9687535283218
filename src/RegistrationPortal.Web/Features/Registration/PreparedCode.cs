namespace RegistrationPortal.Web.Features.Registration;

/// <summary>A new code's keyed hash and its encrypted plaintext for the outbox; the plaintext itself is not kept.</summary>
public sealed record PreparedCode(byte[] Hash, string ProtectedPayload);
