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
}
