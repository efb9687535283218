using Microsoft.AspNetCore.DataProtection;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Branding;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Email;

/// <summary>The Branding page's previews and test emails (see <see cref="ISampleEmails"/>).</summary>
internal sealed class SampleEmails(RegistrationEmail emails, EmailSignal signal, IDataProtectionProvider dataProtection) : ISampleEmails
{
    private readonly IDataProtector _payloadProtector = dataProtection.CreateProtector(OutboxPayload.Purpose);

    public (string Register, string Resend) Links(string toAddress, string orgId, string? language) => emails.Links(toAddress, orgId, language);

    public string Expiry(DateTimeOffset expiresAt, string? language) => emails.Expiry(expiresAt, language);

    public string ProtectPayload(string code) => _payloadProtector.Protect(code);

    public void Add(PortalDbContext db, string orgId, string adminId, EmailKind kind, string toAddress, string protectedPayload, DateTimeOffset now) =>
        db.OutboxMessages.Add(OutboxMessage.Queued(now, orgId, adminId, kind, toAddress, protectedPayload));

    public void Notify() => signal.Notify();
}
