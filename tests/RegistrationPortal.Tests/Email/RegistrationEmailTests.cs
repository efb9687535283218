using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;
using RegistrationPortal.Web.Features.Branding;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Email;

/// <summary>The registration email as the person reads it: who it is from, the subject, the code, its expiry and both links, in both parts.</summary>
public sealed class RegistrationEmailTests
{
    private const string From = "Acme Portal <no-reply@portal.example>";
    private const string Code = "K7QH-3MZP-W9XD-R2TF";
    private const string OrgId = "or-abcde-12345-abcdefghij012345";
    private static readonly DateTimeOffset Expires = new(2026, 12, 4, 17, 30, 0, TimeSpan.FromHours(2));

    private static RegistrationEmail Email(string publicBaseUrl = "https://portal.example/")
    {
        var services = new ServiceCollection()
            .Configure<EmailOptions>(o => o.From = From)
            .Configure<PortalOptions>(o => o.PublicBaseUrl = publicBaseUrl)
            .AddLocalization()
            .AddLogging()
            .BuildServiceProvider();

        // An empty branding cache, never loaded: no organization here has a brand, so the email has the neutral look.
        var brands = new BrandingCache(contexts: null!, NullLogger<BrandingCache>.Instance);
        return new RegistrationEmail(
            services.GetRequiredService<IOptionsMonitor<EmailOptions>>(),
            services.GetRequiredService<IOptionsMonitor<PortalOptions>>(),
            services.GetRequiredService<IStringLocalizer<EmailText>>(),
            brands,
            NullLogger<RegistrationEmail>.Instance);
    }

    private static MimeMessage Compose(RegistrationEmail email, string to, string organization, Guid? outboxId = null) =>
        email.Compose(new RegistrationEmailContent(to, OrgId, organization, Code, Expires, Kind: EmailKind.Invitation), outboxId);

    [Fact]
    public void The_email_carries_the_code_its_expiry_and_both_links_in_text_and_html()
    {
        var outboxId = Guid.NewGuid();
        var message = Compose(Email(), "ann+test@example.com", "Acme <R&D>", outboxId);

        var from = Assert.Single(message.From.Mailboxes);
        Assert.Equal(("Acme Portal", "no-reply@portal.example"), (from.Name, from.Address));
        Assert.Equal("ann+test@example.com", Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal("Your registration code for Acme <R&D>", message.Subject);
        Assert.Equal($"outbox-{outboxId:N}@portal.example", message.MessageId);

        const string Register = "https://portal.example/register?email=ann%2Btest%40example.com&orgId=or-abcde-12345-abcdefghij012345";
        const string Resend = "https://portal.example/register/resend?email=ann%2Btest%40example.com&orgId=or-abcde-12345-abcdefghij012345";
        var text = message.TextBody ?? "";
        Assert.Contains("Acme <R&D> invited you to register. Your registration code is:", text, StringComparison.Ordinal);
        Assert.Contains($"    {Code}\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("It expires on Friday 4 December 2026, 15:30 UTC. Any code sent to you before this one no longer works.", text, StringComparison.Ordinal);
        Assert.Contains($"(you will create a passkey):\n{Register}\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains($"Ask for a new code here:\n{Resend}\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);

        var html = message.HtmlBody ?? "";
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<p>Acme &lt;R&amp;D&gt; invited you to register.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Acme <R&D>", html, StringComparison.Ordinal);
        Assert.Contains($"<strong>{Code}</strong>", html, StringComparison.Ordinal);
        Assert.Contains("It expires on Friday 4 December 2026, 15:30 UTC.", html, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"{Register.Replace("&", "&amp;", StringComparison.Ordinal)}\">Register with this code</a>", html, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"{Resend.Replace("&", "&amp;", StringComparison.Ordinal)}\">Ask for a new code</a>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_base_address_without_a_trailing_slash_gives_the_same_links()
    {
        var withSlash = Compose(Email("https://portal.example/"), "a@example.com", "Acme");
        var without = Compose(Email("https://portal.example"), "a@example.com", "Acme");

        Assert.Equal(withSlash.TextBody, without.TextBody);
        Assert.Contains("https://portal.example/register?email=a%40example.com&orgId=", without.TextBody ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("example//register", without.TextBody + withSlash.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public void The_outbox_row_is_read_back_from_the_message_id_and_only_from_one_of_ours()
    {
        var outboxId = Guid.NewGuid();
        var email = Email();
        Assert.Equal(outboxId, EmailEnvelope.OutboxMessageIdOf(Compose(email, "a@example.com", "Acme", outboxId)));

        // Without an outbox row the message keeps MimeKit's own Message-ID, which names no row.
        var plain = Compose(email, "a@example.com", "Acme");
        Assert.False(string.IsNullOrEmpty(plain.MessageId));
        Assert.Null(EmailEnvelope.OutboxMessageIdOf(plain));

        foreach (var id in new[] { $"other-{outboxId:N}@portal.example", $"outbox-{outboxId:N}", $"outbox-{outboxId:D}@portal.example", "outbox-@portal.example", $"xoutbox-{outboxId:N}@portal.example" })
        {
            Assert.Null(EmailEnvelope.OutboxMessageIdOf(new MimeMessage { MessageId = id }));
        }

        Assert.Equal(outboxId, EmailEnvelope.OutboxMessageIdOf(new MimeMessage { MessageId = $"outbox-{outboxId:N}@elsewhere.example" }));
    }

    private const string Register = "https://portal.example/register?email=a%40example.com&orgId=or-abcde-12345-abcdefghij012345";
    private const string Resend = "https://portal.example/register/resend?email=a%40example.com&orgId=or-abcde-12345-abcdefghij012345";

    [Theory]
    [InlineData(EmailKind.Invitation, "Your registration code for Acme", "Acme invited you to register. Your registration code is:")]
    [InlineData(EmailKind.Code, "Your new registration code for Acme", "Here is your new registration code for Acme:")]
    public void An_organization_without_branding_sends_exactly_these_words_with_no_band_and_no_support_line(EmailKind kind, string subject, string intro)
    {
        var message = Email().Compose(new RegistrationEmailContent("a@example.com", OrgId, "Acme", Code, Expires, Kind: kind));

        Assert.Equal(subject, message.Subject);
        Assert.Equal(
            $"""
            Hello,

            {intro}

                {Code}

            It expires on Friday 4 December 2026, 15:30 UTC. Any code sent to you before this one no longer works.

            Register here with this code (you will create a passkey):
            {Register}

            Lost it or too late? Ask for a new code here:
            {Resend}

            If you did not expect this email, you can ignore it.
            """,
            (message.TextBody ?? "").ReplaceLineEndings("\n"));
        Assert.Equal(
            $"""
            <!DOCTYPE html>
            <html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5">
            <p>Hello,</p>
            <p>{intro}</p>
            <p style="font-size: 1.5em; font-family: ui-monospace, monospace; letter-spacing: 0.1em"><strong>{Code}</strong></p>
            <p>It expires on Friday 4 December 2026, 15:30 UTC. Any code sent to you before this one no longer works.</p>
            <p><a href="{Register.Replace("&", "&amp;", StringComparison.Ordinal)}">Register with this code</a> (you will create a passkey).</p>
            <p>Lost it or too late? <a href="{Resend.Replace("&", "&amp;", StringComparison.Ordinal)}">Ask for a new code</a>.</p>
            <p>If you did not expect this email, you can ignore it.</p>
            </body></html>
            """,
            (message.HtmlBody ?? "").ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Composing_in_another_language_leaves_the_callers_culture_as_it_was()
    {
        var before = CultureInfo.CurrentUICulture;
        Assert.NotEqual("de", before.TwoLetterISOLanguageName);

        var message = Email().Compose(new RegistrationEmailContent("a@example.com", OrgId, "Acme", Code, Expires, Language: "de", Kind: EmailKind.Invitation));

        Assert.DoesNotContain("registration code", message.Subject, StringComparison.Ordinal);
        Assert.Same(before, CultureInfo.CurrentUICulture);
    }
}
