using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Branding;

/// <summary>
/// What the Branding page needs of the Email feature, which sits above Branding (it renders every email with the
/// organization's branding) and registers this: the links and expiry a preview shows, and a sample queued through the
/// outbox like every email.
/// </summary>
public interface ISampleEmails
{
    /// <summary>The links of a registration email: the register page and the self-service resend page.</summary>
    (string Register, string Resend) Links(string toAddress, string orgId, string? language);

    /// <summary>The expiry as the language writes a date and time.</summary>
    string Expiry(DateTimeOffset expiresAt, string? language);

    /// <summary>The sample code encrypted for the outbox row, made before the write as every code's is.</summary>
    string ProtectPayload(string code);

    /// <summary>Adds a sample's outbox row in the caller's unit of work.</summary>
    void Add(PortalDbContext db, string orgId, string adminId, EmailKind kind, string toAddress, string protectedPayload, DateTimeOffset now);

    /// <summary>Wakes the dispatcher once the write that queued a sample has committed.</summary>
    void Notify();
}
