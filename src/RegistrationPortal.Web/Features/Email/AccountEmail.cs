using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using MimeKit;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Email;

/// <summary>What an email to a portal admin is for.</summary>
public enum AccountEmailKind
{
    /// <summary>An admin asked for a new password ("Forgot password?").</summary>
    PasswordReset,

    /// <summary>A new organization's first admin, or an admin a platform admin re-invited: set a password and sign in.</summary>
    AdminInvitation,
}

/// <summary>
/// The secret part of an admin's email (the link holds a password-reset token), kept in the outbox encrypted under a
/// purpose of its own. A row with no registration code is one of these.
/// </summary>
public sealed record AccountEmailContent(AccountEmailKind Kind, string Link, string? OrganizationName)
{
    public const string Purpose = "RegistrationPortal.Outbox.Account.v1";

    public string Protect(IDataProtector protector) => protector.Protect(JsonSerializer.Serialize(this));

    public static AccountEmailContent Unprotect(IDataProtector protector, string payload) =>
        JsonSerializer.Deserialize<AccountEmailContent>(protector.Unprotect(payload)) ?? throw new InvalidOperationException("An empty account email payload.");
}

/// <summary>Queues admins' emails into the outbox the dispatcher sends, with the audit event of the change, in one write.</summary>
public sealed class AccountEmailQueue(WriteQueue writes, IDataProtectionProvider dataProtection, EmailSignal signal, TimeProvider time)
{
    private readonly IDataProtector _protector = dataProtection.CreateProtector(AccountEmailContent.Purpose);

    /// <param name="orgId">The admin's organization; empty for a platform admin, who has none.</param>
    public async Task QueueAsync(string? orgId, string adminId, string toAddress, AccountEmailContent content, Actor actor, string auditAction)
    {
        await writes.ExecuteAsync(db =>
        {
            var now = time.GetUtcNow();
            db.OutboxMessages.Add(OutboxMessage.Queued(now, orgId ?? "", adminId, EmailKind.Account, toAddress, content.Protect(_protector)));
            db.Audit(now, string.IsNullOrEmpty(orgId) ? null : orgId, auditAction, actor, adminId);
            return Task.FromResult(true);
        });
        signal.Notify();
    }
}

/// <summary>The email to an admin: a plain-text and an HTML part with one link.</summary>
public sealed class AccountEmail(IOptionsMonitor<EmailOptions> email)
{
    public MimeMessage Compose(string toAddress, AccountEmailContent content, Guid outboxMessageId)
    {
        var message = EmailEnvelope.Start(email.CurrentValue.From, null, toAddress, outboxMessageId);

        var (subject, intro, action, outro) = content.Kind switch
        {
            AccountEmailKind.AdminInvitation when content.OrganizationName is null => (
                "You are a platform admin of RegistrationPortal",
                "You were made a platform admin of RegistrationPortal, where you create organizations and work in any of them. Choose your password here:",
                "Choose your password",
                "The link works once and for a limited time (ask for a new one with \"Forgot password?\" on the sign-in page). Then sign in with your email and that password."),
            AccountEmailKind.AdminInvitation => (
                $"You are an admin of {content.OrganizationName}",
                $"You were made an admin of {content.OrganizationName} on RegistrationPortal, where you invite users and resend their registration codes. Choose your password here:",
                "Choose your password",
                "The link works once and for a limited time (ask for a new one with \"Forgot password?\" on the sign-in page). Then sign in with your email and that password."),
            _ => (
                "Reset your RegistrationPortal password",
                "Someone (hopefully you) asked to reset the password of your RegistrationPortal admin account. Choose a new password here:",
                "Reset your password",
                "The link works once. If you did not ask for it, ignore this email: your password stays as it is."),
        };
        message.Subject = subject;
        var text = $"""
            Hello,

            {intro}
            {content.Link}

            {outro}
            """;
        var html = EmailEnvelope.Html("en", $"""
            <p>Hello,</p>
            <p>{WebUtility.HtmlEncode(intro)}</p>
            <p><a href="{WebUtility.HtmlEncode(content.Link)}">{WebUtility.HtmlEncode(action)}</a></p>
            <p>{WebUtility.HtmlEncode(outro)}</p>
            """);
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return message;
    }
}
