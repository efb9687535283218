using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using RegistrationPortal.Tests.Components;
using RegistrationPortal.Web.Features.Branding;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Email;

/// <summary>The registration email of an organization with branding: its band, its support line, its own template.</summary>
public sealed class BrandedRegistrationEmailTests(PortalServices portal) : IClassFixture<PortalServices>
{
    private const string Code = "K7QH-3MZP-W9XD-R2TF";
    private const string Envelope = """<!DOCTYPE html>""" + "\n" + """<html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5">""" + "\n";
    private static readonly DateTimeOffset Expires = new(2026, 12, 4, 15, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_band_in_the_organizations_colour_shows_its_name_when_it_has_no_logo_and_the_support_contact_closes_both_parts()
    {
        var org = await BrandedAsync(color: "#aa3300", support: "help@acme.example", logoVersion: null);

        var message = Email().Compose(Content(org));

        Assert.EndsWith(
            "If you did not expect this email, you can ignore it.\n\nQuestions? Contact help@acme.example.",
            (message.TextBody ?? "").ReplaceLineEndings("\n"),
            StringComparison.Ordinal);
        var html = (message.HtmlBody ?? "").ReplaceLineEndings("\n");
        Assert.StartsWith(
            Envelope + """<div style="background: #aa3300; color: #ffffff; padding: 12px 16px; margin-bottom: 16px"><strong style="font-size: 1.2em">Acme &amp; Co</strong></div>""" + "\n<p>Hello,</p>\n",
            html,
            StringComparison.Ordinal);
        Assert.EndsWith(
            """
            <p>If you did not expect this email, you can ignore it.</p>
            <p>Questions? Contact <a href="mailto:help@acme.example">help@acme.example</a>.</p>
            </body></html>
            """,
            html,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_logo_without_a_colour_sits_on_the_default_blue_band()
    {
        var org = await BrandedAsync(color: null, support: null, logoVersion: "v7");

        var html = (Email().Compose(Content(org)).HtmlBody ?? "").ReplaceLineEndings("\n");

        Assert.StartsWith(
            Envelope + $"""<div style="background: #173f7a; color: #ffffff; padding: 12px 16px; margin-bottom: 16px"><img src="https://portal.example/branding/{org}/logo/v7" alt="Acme &amp; Co" style="max-height: 48px; max-width: 240px; vertical-align: middle"></div>""" + "\n<p>Hello,</p>\n",
            html,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_organizations_template_shows_an_empty_support_contact_when_it_has_none()
    {
        var org = await BrandedAsync(color: null, support: null, logoVersion: null, template: "Your code: {{ code }} ({{ register_link }}). Help: [{{ support_contact }}]");

        var message = Email().Compose(Content(org));

        Assert.Equal("Join Acme & Co", message.Subject);
        Assert.Equal(
            $"Your code: {Code} (https://portal.example/register?email=a%40example.com&orgId={org}). Help: []",
            (message.TextBody ?? "").Trim());
    }

    [Fact]
    public async Task A_template_that_fails_to_render_sends_the_default_words_and_warns_the_operator()
    {
        var org = await BrandedAsync(color: null, support: null, logoVersion: null, template: "{% for i in (1..100000) %}{% endfor %}{{ code }} {{ register_link }}");
        var log = new WarningLog();

        var message = Email(log).Compose(Content(org));

        Assert.Equal("Your registration code for Acme & Co", message.Subject);
        Assert.Contains($"    {Code}\n", (message.TextBody ?? "").ReplaceLineEndings("\n"), StringComparison.Ordinal);
        var warning = Assert.Single(log.Entries);
        Assert.Equal((LogLevel.Warning, $"The Invitation template of {org} did not render (InvalidOperationException); the default words are sent"), warning);
    }

    private static RegistrationEmailContent Content(string orgId) =>
        new("a@example.com", orgId, "Acme & Co", Code, Expires, Kind: EmailKind.Invitation);

    private RegistrationEmail Email(ILogger<RegistrationEmail>? logger = null)
    {
        var services = new ServiceCollection()
            .Configure<EmailOptions>(o => o.From = "no-reply@portal.example")
            .Configure<PortalOptions>(o => o.PublicBaseUrl = "https://portal.example/")
            .AddLocalization()
            .AddLogging()
            .BuildServiceProvider();
        return new RegistrationEmail(
            services.GetRequiredService<IOptionsMonitor<EmailOptions>>(),
            services.GetRequiredService<IOptionsMonitor<PortalOptions>>(),
            services.GetRequiredService<IStringLocalizer<EmailText>>(),
            portal.Provider.GetRequiredService<BrandingCache>(),
            logger ?? NullLogger<RegistrationEmail>.Instance);
    }

    /// <summary>An organization with these brand rows, as an earlier save left them (a saved template was checked then), read into the cache.</summary>
    private async Task<string> BrandedAsync(string? color, string? support, string? logoVersion, string? template = null)
    {
        var org = await portal.CreateOrganizationAsync("Acme & Co");
        await portal.WithDbAsync(async db =>
        {
            db.OrganizationBrandings.Add(new OrganizationBranding { OrgId = org, PrimaryColor = color, SupportContact = support, LogoVersion = logoVersion, UpdatedAt = DateTimeOffset.UtcNow });
            if (template is not null)
            {
                db.EmailTemplates.Add(new EmailTemplate { OrgId = org, Kind = EmailKind.Invitation, Subject = "Join {{ organization_name }}", Body = template, UpdatedAt = DateTimeOffset.UtcNow });
            }

            await db.SaveChangesAsync();
            return true;
        });
        await portal.Provider.GetRequiredService<BrandingCache>().ReloadAsync();
        return org;
    }

    private sealed class WarningLog : ILogger<RegistrationEmail>
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
