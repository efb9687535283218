using System.Net;
using System.Security.Claims;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Branding;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Branding;

/// <summary>An organization's branding and templates, as its admin sets them and as its people receive and see them.</summary>
public sealed partial class BrandingTests(MailPortalFixture fixture) : IClassFixture<MailPortalFixture>
{
    private const string Malicious = "<script>alert('x')</script> & \"Acme\"";

    private static readonly byte[] PngBytes = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    private PortalFactory Host => fixture.Factory;

    private SmtpServer Smtp => fixture.Smtp;

    private BrandingService Branding => Host.Services.GetRequiredService<BrandingService>();

    [Fact]
    public async Task The_email_carries_the_organizations_name_sender_reply_to_colour_and_support_and_escapes_a_malicious_name()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var scope = ScopeOf(orgId);
        Assert.Empty(await Branding.SaveAsync(scope, new BrandingInput(Malicious, "#123456", "help@acme.example", "Acme Onboarding", "replies@acme.example"), "192.0.2.1"));
        var email = PortalFactory.NewEmail("branded");

        await Host.InviteAsync(orgId, email);

        var mail = Assert.Single(await Smtp.WaitForMessagesAsync(email)).Message;
        Assert.Equal($"Your registration code for {Malicious}", mail.Subject);
        Assert.Equal("Acme Onboarding", mail.From.Mailboxes.Single().Name);
        Assert.Equal("replies@acme.example", mail.ReplyTo.Mailboxes.Single().Address);
        Assert.Contains($"{Malicious} invited you to register", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("Questions? Contact help@acme.example.", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Acme&quot;", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("background: #123456", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("href=\"mailto:help@acme.example\"", mail.HtmlBody, StringComparison.Ordinal);

        // Every change is on record with what it was and what it became.
        var audit = Assert.Single(await AuditAsync(orgId, AuditActions.BrandingChanged));
        Assert.Contains($"display name: none → \"{Malicious}\"", audit.Details, StringComparison.Ordinal);
        Assert.Contains("primary colour: none → \"#123456\"", audit.Details, StringComparison.Ordinal);
        Assert.Empty(await Branding.SaveAsync(scope, new BrandingInput("Acme", "#123456", null, null, null), null));
        var second = (await AuditAsync(orgId, AuditActions.BrandingChanged)).Last();
        Assert.Equal($"display name: \"{Malicious}\" → \"Acme\"; support contact: \"help@acme.example\" → none; sender name: \"Acme Onboarding\" → none; reply-to: \"replies@acme.example\" → none", second.Details);
    }

    [Theory]
    [InlineData("#777777", "PrimaryColor", "too light for white text")]
    [InlineData("blue", "PrimaryColor", "hex colour")]
    [InlineData("javascript:alert(1)", "SupportContact", "email address or a web address")]
    [InlineData("https://help.acme.example/\0", "SupportContact", "email address or a web address")]
    [InlineData("Acme\r\nBcc: victim@example.com", "SenderName", "one line")]
    public async Task Branding_that_would_be_unreadable_or_unsafe_is_refused_and_nothing_changes(string value, string field, string message)
    {
        var orgId = await Host.CreateOrganizationAsync();
        var input = field switch
        {
            "PrimaryColor" => new BrandingInput(null, value, null, null, null),
            "SupportContact" => new BrandingInput(null, null, value, null, null),
            _ => new BrandingInput(null, null, null, value, null),
        };

        var problem = Assert.Single(await Branding.SaveAsync(ScopeOf(orgId), input, null));

        Assert.Equal(field, problem.Field);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.Null(await Host.WithDbAsync(db => db.OrganizationBrandings.FirstOrDefaultAsync(b => b.OrgId == orgId)));
        Assert.Empty(await AuditAsync(orgId, AuditActions.BrandingChanged));
    }

    [Fact]
    public async Task A_logo_is_refused_when_too_large_a_png_named_svg_or_an_svg_with_script_and_served_with_its_type_and_cache_headers_when_clean()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var scope = ScopeOf(orgId);
        var tooLarge = new byte[BrandingRules.MaxLogoBytes + 1];
        PngBytes.CopyTo(tooLarge, 0);

        Assert.Contains("larger than 256 KB", await Branding.SetLogoAsync(scope, "logo.png", "image/png", tooLarge, null), StringComparison.Ordinal);
        Assert.Contains("says it is an SVG image but it is a PNG image", await Branding.SetLogoAsync(scope, "logo.svg", "image/svg+xml", PngBytes, null), StringComparison.Ordinal);
        foreach (var svg in new[]
        {
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><rect width=\"10\" height=\"10\"/></svg>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"><a xlink:href=\"javascript:alert(1)\"><rect width=\"9\" height=\"9\"/></a></svg>",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><foreignObject><body xmlns=\"http://www.w3.org/1999/xhtml\">x</body></foreignObject></svg>",
        })
        {
            Assert.Contains("carries script", await Branding.SetLogoAsync(scope, "logo.svg", "image/svg+xml", Encoding.UTF8.GetBytes(svg), null), StringComparison.Ordinal);
        }

        Assert.Contains("DTD", await Branding.SetLogoAsync(scope, "logo.svg", null, Encoding.UTF8.GetBytes("<!DOCTYPE svg [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><svg xmlns=\"http://www.w3.org/2000/svg\">&x;</svg>"), null), StringComparison.Ordinal);
        Assert.Empty(await AuditAsync(orgId, AuditActions.BrandingLogoChanged));

        var clean = Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\" fill=\"#123456\"/></svg>");
        Assert.Null(await Branding.SetLogoAsync(scope, "logo.svg", "image/svg+xml", clean, "192.0.2.9"));
        var path = Host.Services.GetRequiredService<BrandingCache>().Find(orgId)!.LogoPath!;
        using var client = Host.CreateClient();
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl!.ToString());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(clean, await response.Content.ReadAsByteArrayAsync());
        var audit = Assert.Single(await AuditAsync(orgId, AuditActions.BrandingLogoChanged));
        Assert.Matches(@"^logo: none → image/svg\+xml \d+ bytes \([0-9a-f]{16}\)$", audit.Details);

        // A replaced logo is a new address; the old one is gone, and an unknown organization has none.
        Assert.Null(await Branding.SetLogoAsync(scope, "logo.png", "image/png", PngBytes, null));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(BrandingAssets.LogoPath(Ids.New(Ids.Organization), "0123456789abcdef"))).StatusCode);
        var png = await client.GetAsync(Host.Services.GetRequiredService<BrandingCache>().Find(orgId)!.LogoPath!);
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task An_organizations_template_shapes_both_parts_escapes_everything_in_html_and_one_without_the_code_or_link_is_refused()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var scope = ScopeOf(orgId);
        Assert.Empty(await Branding.SaveAsync(scope, new BrandingInput(Malicious, null, "https://help.acme.example/start", null, null), null));

        Assert.Contains("{{ code }}", await Branding.SaveTemplateAsync(scope, EmailKind.Invitation, "Hi", "Register: {{ register_link }}", null), StringComparison.Ordinal);
        Assert.Contains("{{ register_link }}", await Branding.SaveTemplateAsync(scope, EmailKind.Invitation, "Hi", "Your code {{ code }}", null), StringComparison.Ordinal);
        Assert.Contains("does not parse", await Branding.SaveTemplateAsync(scope, EmailKind.Invitation, "Hi", "{{ code }} {{ register_link }} {% if %}", null), StringComparison.Ordinal);
        Assert.Contains("does not render", await Branding.SaveTemplateAsync(scope, EmailKind.Invitation, "Hi", "{{ code }} {{ register_link }} {{ password }}", null), StringComparison.Ordinal);
        Assert.Empty(await AuditAsync(orgId, AuditActions.EmailTemplateChanged));

        const string body = "Welcome to {{ organization_name }} <b>now</b>!\n\nYour code: {{ code }} (until {{ expires_at }})\n\nStart here: {{ register_link }}\nHelp: {{ support_contact }}";
        Assert.Null(await Branding.SaveTemplateAsync(scope, EmailKind.Invitation, "Join {{ organization_name }}", body, "192.0.2.3"));
        var audit = Assert.Single(await AuditAsync(orgId, AuditActions.EmailTemplateChanged));
        Assert.StartsWith("Invitation template: default words → subject \"Join {{ organization_name }}\", body \"Welcome to", audit.Details, StringComparison.Ordinal);

        var email = PortalFactory.NewEmail("templated");
        await Host.InviteAsync(orgId, email);
        var mail = Assert.Single(await Smtp.WaitForMessagesAsync(email));
        var message = mail.Message;
        Assert.Equal($"Join {Malicious}", message.Subject);
        Assert.NotNull(mail.Code);
        Assert.Contains($"Welcome to {Malicious} <b>now</b>!", message.TextBody, StringComparison.Ordinal);
        Assert.Matches($@"Start here: https?://\S+/register\?email=\S+&orgId={orgId}", message.TextBody);
        Assert.Contains("Help: https://help.acme.example/start", message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", message.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;now&lt;/b&gt;", message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains(mail.Code, message.HtmlBody, StringComparison.Ordinal);
        Assert.Matches("<a href=\"https?://[^\"]+/register\\?email=[^\"]+\">", message.HtmlBody);

        // The resent code has no template of its own: the default words, in the organization's name.
        using var client = Host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        Assert.Equal($"Your new registration code for {Malicious}", (await Smtp.WaitForMessagesAsync(email, 2))[^1].Message.Subject);
    }

    [Fact]
    public async Task Send_a_test_email_goes_through_the_outbox_to_the_admin_with_a_sample_code_and_the_saved_template()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var scope = ScopeOf(orgId);
        Assert.Null(await Branding.SaveTemplateAsync(scope, EmailKind.Code, "New code for {{ organization_name }}", "{{ code }} at {{ register_link }} until {{ expires_at }}", null));
        var admin = PortalFactory.NewEmail("admin-test");
        string traceId;
        var before = DateTimeOffset.UtcNow;

        // Queued inside a request's trace, like every email: its delivery continues that trace.
        using (var request = new System.Diagnostics.Activity("test email request").SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C).Start())
        {
            Assert.True(await Branding.QueueTestEmailAsync(scope, EmailKind.Code, admin, null));
            traceId = request.TraceId.ToHexString();
        }

        var mail = Assert.Single(await Smtp.WaitForMessagesAsync(admin));
        Assert.StartsWith("[Test] New code for ", mail.Message.Subject, StringComparison.Ordinal);
        Assert.Equal(BrandingService.SampleCode, mail.Code);

        // A sample's code is no one's: it says it expires a day after it was sent (to the minute, as emails write it).
        var after = DateTimeOffset.UtcNow;
        var composer = Host.Services.GetRequiredService<RegistrationEmail>();
        var expiries = Enumerable.Range(0, (int)(after - before).TotalMinutes + 2)
            .Select(m => composer.Expiry(before.AddDays(1).AddMinutes(m), null))
            .ToList();
        var text = mail.Message.TextBody ?? "";
        Assert.Contains(expiries, e => text.Contains($"until {e}", StringComparison.Ordinal));
        // The dispatcher records the delivery once the server has taken the mail: the row may still be on its way.
        await Wait.WaitUntilAsync(async () => await Host.WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.ToAddress == admin && m.Status == OutboxStatus.Sent)), "the test email is marked sent");
        var queued = Assert.Single(await Host.WithDbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.ToAddress == admin).ToListAsync()));
        Assert.Equal(OutboxStatus.Sent, queued.Status);
        Assert.Equal(traceId, queued.TraceParent?.Split('-')[1]);
        Assert.Single(await AuditAsync(orgId, AuditActions.TestEmailQueued));
    }

    [Theory]
    [InlineData("Your code\0", "{{ code }} at {{ register_link }}")]
    [InlineData("Your code", "{{ code }} at {{ register_link }}\u001B[2J")]
    public async Task A_template_with_a_control_character_is_refused_and_nothing_changes(string subject, string body)
    {
        var orgId = await Host.CreateOrganizationAsync();

        var problem = await Branding.SaveTemplateAsync(ScopeOf(orgId), EmailKind.Code, subject, body, null);

        Assert.Equal("The subject and the body must be text: no control characters other than line breaks and tabs.", problem);
        Assert.Null(await Host.WithDbAsync(db => db.EmailTemplates.FirstOrDefaultAsync(t => t.OrgId == orgId)));
        Assert.Empty(await AuditAsync(orgId, AuditActions.EmailTemplateChanged));
    }

    [Fact]
    public async Task A_reload_parses_only_the_templates_whose_words_changed()
    {
        var cache = Host.Services.GetRequiredService<BrandingCache>();
        var first = ScopeOf(await Host.CreateOrganizationAsync());
        var second = ScopeOf(await Host.CreateOrganizationAsync());
        Assert.Null(await Branding.SaveTemplateAsync(first, EmailKind.Code, "First {{ organization_name }}", "{{ code }} at {{ register_link }}", null));
        Assert.Null(await Branding.SaveTemplateAsync(second, EmailKind.Code, "Second {{ organization_name }}", "{{ code }} at {{ register_link }}", null));
        var firstParsed = cache.Find(first.OrgId)!.Templates[EmailKind.Code];
        var secondParsed = cache.Find(second.OrgId)!.Templates[EmailKind.Code];

        // Another organization's changes (its body, then its subject), and a reload with no change (PostgreSQL's periodic
        // one): the first organization's template is not parsed again; the second's is, each time.
        var values = new TemplateValues("C", "E", "R", "S", "Acme", "");
        Assert.Null(await Branding.SaveTemplateAsync(second, EmailKind.Code, "Second {{ organization_name }}", "{{ code }} now at {{ register_link }}", null));
        await cache.ReloadAsync();
        var bodyChanged = cache.Find(second.OrgId)!.Templates[EmailKind.Code];
        Assert.NotSame(secondParsed, bodyChanged);
        Assert.StartsWith("C now at R", EmailTemplates.Render(bodyChanged, values).Text, StringComparison.Ordinal);

        Assert.Null(await Branding.SaveTemplateAsync(second, EmailKind.Code, "Second, changed {{ organization_name }}", "{{ code }} now at {{ register_link }}", null));
        var subjectChanged = cache.Find(second.OrgId)!.Templates[EmailKind.Code];
        Assert.NotSame(bodyChanged, subjectChanged);
        Assert.Equal("Second, changed Acme", EmailTemplates.Render(subjectChanged, values).Subject);

        Assert.Same(firstParsed, cache.Find(first.OrgId)!.Templates[EmailKind.Code]);
    }

    [Fact]
    public async Task Public_pages_show_the_brand_of_the_organization_they_are_opened_with_and_an_unknown_organization_the_neutral_look()
    {
        var plain = await Host.CreateOrganizationAsync();
        var branded = await Host.CreateOrganizationAsync();
        Assert.Empty(await Branding.SaveAsync(ScopeOf(branded), new BrandingInput("Acme <Onboarding>", "#0b3d2e", "help@acme.example", null, null), null));
        var unknown = Ids.New(Ids.Organization);
        using var client = Host.CreateClient();

        var brandedPage = await client.GetStringAsync($"/register/resend?orgId={branded}");
        Assert.Contains("Acme &lt;Onboarding&gt;", brandedPage, StringComparison.Ordinal);
        Assert.Contains(".public-header { background: #0b3d2e; }", brandedPage, StringComparison.Ordinal);
        Assert.Contains("href=\"mailto:help@acme.example\"", brandedPage, StringComparison.Ordinal);

        // An organization without branding and one that does not exist: the same page, byte for byte.
        foreach (var path in new[] { "/register/resend", "/register" })
        {
            var ofPlain = Normalize(await client.GetStringAsync($"{path}?orgId={plain}"), plain);
            var ofUnknown = Normalize(await client.GetStringAsync($"{path}?orgId={unknown}"), unknown);
            Assert.Equal(ofPlain, ofUnknown);
            Assert.Contains("<span class=\"account-brand\">RegistrationPortal</span>", ofUnknown, StringComparison.Ordinal);
            Assert.DoesNotContain("public-support", ofUnknown, StringComparison.Ordinal);
        }
    }

    private Task<List<AuditEvent>> AuditAsync(string orgId, string action) =>
        Host.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(a => a.OrgId == orgId && a.Action == action).OrderBy(a => a.Id).ToListAsync());

    private static string Normalize(string page, string orgId) =>
        Volatile().Replace(page, "X").Replace(orgId, "ORG", StringComparison.Ordinal);

    // What differs on every answer whoever is asked about: the antiforgery token, the component state, the script nonce.
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"[^\"]+\"|<!--Blazor-Server-Component-State:[^>]*-->|nonce=\"[^\"]+\"")]
    private static partial Regex Volatile();

    private static AdminScope ScopeOf(string orgId) => AdminScope.For(new ClaimsPrincipal(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, "admin-" + orgId), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)],
        "test")))!;
}
