using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.Tests.Email;

/// <summary>The email to an admin as it leaves the host: sender, Message-ID from its outbox row, both parts.</summary>
public sealed class AccountEmailTests
{
    [Fact]
    public void A_password_reset_comes_from_the_configured_sender_with_its_outbox_message_id_and_one_encoded_link()
    {
        var services = new ServiceCollection()
            .Configure<EmailOptions>(o => o.From = "Acme Portal <no-reply@portal.example>")
            .BuildServiceProvider();
        var outboxId = Guid.NewGuid();
        var content = new AccountEmailContent(AccountEmailKind.PasswordReset, "https://portal.example/Account/ResetPassword?code=a&b=<c>", null);

        var message = new AccountEmail(services.GetRequiredService<IOptionsMonitor<EmailOptions>>()).Compose("admin@example.com", content, outboxId);

        var from = Assert.Single(message.From.Mailboxes);
        Assert.Equal(("Acme Portal", "no-reply@portal.example"), (from.Name, from.Address));
        Assert.Equal("admin@example.com", Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal($"outbox-{outboxId:N}@portal.example", message.MessageId);
        Assert.Equal(outboxId, EmailEnvelope.OutboxMessageIdOf(message));
        Assert.Equal("Reset your RegistrationPortal password", message.Subject);
        Assert.Equal(
            """
            <!DOCTYPE html>
            <html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5">
            <p>Hello,</p>
            <p>Someone (hopefully you) asked to reset the password of your RegistrationPortal admin account. Choose a new password here:</p>
            <p><a href="https://portal.example/Account/ResetPassword?code=a&amp;b=&lt;c&gt;">Reset your password</a></p>
            <p>The link works once. If you did not ask for it, ignore this email: your password stays as it is.</p>
            </body></html>
            """,
            (message.HtmlBody ?? "").ReplaceLineEndings("\n"));
        Assert.Contains("Choose a new password here:\nhttps://portal.example/Account/ResetPassword?code=a&b=<c>\n", (message.TextBody ?? "").ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    private const string Link = "https://portal.example/Account/ResetPassword?code=x&email=a%40example.com";

    private static MimeKit.MimeMessage Compose(AccountEmailContent content)
    {
        var services = new ServiceCollection()
            .Configure<EmailOptions>(o => o.From = "no-reply@portal.example")
            .BuildServiceProvider();
        return new AccountEmail(services.GetRequiredService<IOptionsMonitor<EmailOptions>>()).Compose("admin@example.com", content, Guid.NewGuid());
    }

    [Fact]
    public void A_platform_admins_invitation_says_what_a_platform_admin_does_and_links_to_choosing_a_password()
    {
        var message = Compose(new AccountEmailContent(AccountEmailKind.AdminInvitation, Link, OrganizationName: null));

        Assert.Equal("You are a platform admin of RegistrationPortal", message.Subject);
        Assert.Equal(
            $"""
            Hello,

            You were made a platform admin of RegistrationPortal, where you create organizations and work in any of them. Choose your password here:
            {Link}

            The link works once and for a limited time (ask for a new one with "Forgot password?" on the sign-in page). Then sign in with your email and that password.
            """,
            (message.TextBody ?? "").ReplaceLineEndings("\n"));
        Assert.Equal(
            """
            <!DOCTYPE html>
            <html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5">
            <p>Hello,</p>
            <p>You were made a platform admin of RegistrationPortal, where you create organizations and work in any of them. Choose your password here:</p>
            <p><a href="https://portal.example/Account/ResetPassword?code=x&amp;email=a%40example.com">Choose your password</a></p>
            <p>The link works once and for a limited time (ask for a new one with &quot;Forgot password?&quot; on the sign-in page). Then sign in with your email and that password.</p>
            </body></html>
            """,
            (message.HtmlBody ?? "").ReplaceLineEndings("\n"));
    }

    [Fact]
    public void An_organization_admins_invitation_names_the_organization_and_links_to_choosing_a_password()
    {
        var message = Compose(new AccountEmailContent(AccountEmailKind.AdminInvitation, Link, "Acme <R&D>"));

        Assert.Equal("You are an admin of Acme <R&D>", message.Subject);
        Assert.Equal(
            $"""
            Hello,

            You were made an admin of Acme <R&D> on RegistrationPortal, where you invite users and resend their registration codes. Choose your password here:
            {Link}

            The link works once and for a limited time (ask for a new one with "Forgot password?" on the sign-in page). Then sign in with your email and that password.
            """,
            (message.TextBody ?? "").ReplaceLineEndings("\n"));
        Assert.Equal(
            """
            <!DOCTYPE html>
            <html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5">
            <p>Hello,</p>
            <p>You were made an admin of Acme &lt;R&amp;D&gt; on RegistrationPortal, where you invite users and resend their registration codes. Choose your password here:</p>
            <p><a href="https://portal.example/Account/ResetPassword?code=x&amp;email=a%40example.com">Choose your password</a></p>
            <p>The link works once and for a limited time (ask for a new one with &quot;Forgot password?&quot; on the sign-in page). Then sign in with your email and that password.</p>
            </body></html>
            """,
            (message.HtmlBody ?? "").ReplaceLineEndings("\n"));
    }

    [Fact]
    public void An_outbox_payload_that_holds_no_content_is_refused_with_a_message_saying_so()
    {
        var protector = new EphemeralDataProtectionProvider().CreateProtector(AccountEmailContent.Purpose);
        var content = new AccountEmailContent(AccountEmailKind.PasswordReset, Link, null);
        Assert.Equal(content, AccountEmailContent.Unprotect(protector, content.Protect(protector)));

        var refused = Assert.Throws<InvalidOperationException>(() => AccountEmailContent.Unprotect(protector, protector.Protect("null")));

        Assert.Equal("An empty account email payload.", refused.Message);
    }
}
