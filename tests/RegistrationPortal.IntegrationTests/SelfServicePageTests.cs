using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests;

/// <summary>The self-service door: a static form that answers the same whoever asks, on either database.</summary>
public abstract partial class SelfServicePageTests(MailPortalFixture fixture)
{
    private const string Page = "/register/resend";

    private PortalFactory Host => fixture.Factory;

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    /// <summary>Blazor's encrypted component state, which carries the antiforgery token for the circuit.</summary>
    [GeneratedRegex("<!--Blazor-Server-Component-State:[^>]*-->")]
    private static partial Regex ComponentState();

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused_and_sends_nothing()
    {
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("ss-csrf");
        using var client = Host.CreateClient();
        var codesBefore = (await Host.AllCodesAsync(userId)).Count;

        using var response = await client.PostAsync(Page + "?culture=fr", Form(null, email, orgId));

        // Sent back to the form, fresh, which says what happened in the page's language (not the framework's words).
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("/register/resend?culture=fr&formExpired=1", response.RequestMessage!.RequestUri!.ToString(), StringComparison.Ordinal);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("Le formulaire avait expir", body, StringComparison.Ordinal);
        Assert.DoesNotContain("antiforgery", body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(codesBefore, (await Host.AllCodesAsync(userId)).Count);
    }

    [Theory]
    [InlineData("/register/resend?formExpired=yes")]
    [InlineData("/register/resend?formExpired=99999999999")]
    [InlineData("/register?formExpired=yes")]
    public async Task A_hand_edited_form_expired_flag_shows_the_page_without_the_expiry_message(string path)
    {
        using var client = Host.CreateClient();

        using var response = await client.GetAsync(path);

        // The flag was read as a number: anything else failed the page (500) for anyone who typed it.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("The form had expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pending_registered_unknown_deactivated_and_unknown_org_get_the_same_page_and_only_pending_gets_mail()
    {
        var (orgId, pending, pendingId) = await Host.CreatePendingUserAsync("ss-pending");
        var registered = PortalFactory.NewEmail("ss-registered");
        var registeredId = await Host.InviteAsync(orgId, registered);
        await Host.MarkRegisteredAsync(registeredId);
        var deactivated = PortalFactory.NewEmail("ss-deactivated");
        var deactivatedId = await Host.InviteAsync(orgId, deactivated);
        await Host.DeactivateAsync(deactivatedId);
        await fixture.Smtp.WaitForMessagesAsync(pending);
        var registeredMail = (await Host.OutboxAsync(registeredId)).Count;
        var deactivatedMail = (await Host.OutboxAsync(deactivatedId)).Count;

        var pages = new List<string>();
        foreach (var (email, org) in new[]
                 {
                     (pending, orgId), (registered, orgId), (deactivated, orgId),
                     (PortalFactory.NewEmail("ss-unknown"), orgId), (PortalFactory.NewEmail("ss-unknown-org"), "or-zzzzz-zzzzz-zzzzzzzzzzzzzzzz"),
                 })
        {
            using var client = Host.CreateClient();
            var (status, body) = await SubmitAsync(client, email, org);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("If an account is waiting for registration, a new code is on its way.", body, StringComparison.Ordinal);
            pages.Add(Normalize(body, email, org));
        }

        Assert.All(pages, p => Assert.Equal(pages[0], p));
        var mails = await fixture.Smtp.WaitForMessagesAsync(pending, 2);
        Assert.Single(await Host.ValidCodesAsync(pendingId));
        Assert.True(Host.CodeMatches(mails[^1].Code, (await Host.ValidCodesAsync(pendingId))[0].CodeHash));
        // Their invitations were queued before; the requests queued nothing more.
        Assert.Equal(registeredMail, (await Host.OutboxAsync(registeredId)).Count);
        Assert.Equal(deactivatedMail, (await Host.OutboxAsync(deactivatedId)).Count);
    }

    [Fact]
    public async Task A_second_request_within_the_cooldown_is_told_to_wait_for_known_and_unknown_users_alike()
    {
        var (orgId, email, _) = await Host.CreatePendingUserAsync("ss-throttle");
        var unknown = PortalFactory.NewEmail("ss-throttle-unknown");
        foreach (var who in new[] { email, unknown })
        {
            using var client = Host.CreateClient();
            await SubmitAsync(client, who, orgId);
            var (status, body) = await SubmitAsync(client, who, orgId);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Matches("Please wait [0-9]+ seconds before asking again", body);
        }
    }

    [Fact]
    public async Task Opening_the_page_with_any_query_string_only_fills_in_the_form()
    {
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("ss-get");
        using var client = Host.CreateClient();
        var codesBefore = (await Host.AllCodesAsync(userId)).Count;
        var throttlesBefore = await Host.WithDbAsync(db => db.ResendThrottles.CountAsync());

        var body = await client.GetStringAsync($"{Page}?email={Uri.EscapeDataString(email)}&orgId={orgId}&extra=<script>");

        Assert.Contains($"value=\"{email}\"", body, StringComparison.Ordinal);
        Assert.Contains($"value=\"{orgId}\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", body, StringComparison.Ordinal);
        Assert.Contains("It starts with <code>or-</code> and is in the email you received.", body, StringComparison.Ordinal);
        Assert.Equal(codesBefore, (await Host.AllCodesAsync(userId)).Count);
        Assert.Equal(throttlesBefore, await Host.WithDbAsync(db => db.ResendThrottles.CountAsync()));
    }

    [Theory]
    [InlineData("", "or-aaaaa-bbbbb-cccccccccccccccc", "Enter your email address.")]
    [InlineData("not-an-email", "or-aaaaa-bbbbb-cccccccccccccccc", "Enter an email address like name@example.com.")]
    [InlineData("a@example.com", "", "Enter your organization id.")]
    [InlineData("a@example.com", "acme", "That is not an organization id")]
    public async Task Bad_input_gets_a_clear_message_and_no_confirmation(string email, string orgId, string message)
    {
        using var client = Host.CreateClient();

        var (status, body) = await SubmitAsync(client, email, orgId);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(message, body, StringComparison.Ordinal);
        Assert.DoesNotContain("a new code is on its way", body, StringComparison.Ordinal);
    }

    /// <param name="beforePost">Runs between the GET of the form and its POST.</param>
    internal static async Task<(HttpStatusCode Status, string Body)> SubmitAsync(HttpClient client, string email, string orgId, Action? beforePost = null)
    {
        var form = await client.GetStringAsync(Page);
        var token = TokenField().Match(form).Groups[1].Value;
        beforePost?.Invoke();
        using var response = await client.PostAsync(Page, Form(token, email, orgId));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static FormUrlEncodedContent Form(string? token, string email, string orgId)
    {
        var fields = new Dictionary<string, string> { ["_handler"] = "resend", ["Input.Email"] = email, ["Input.OrgId"] = orgId };
        if (token is not null)
        {
            fields["__RequestVerificationToken"] = token;
        }

        return new FormUrlEncodedContent(fields);
    }

    /// <summary>The script nonce, new on every answer (Content-Security-Policy).</summary>
    [GeneratedRegex("nonce=\"[^\"]+\"")]
    private static partial Regex ScriptNonce();

    /// <summary>The page minus what legitimately differs: the antiforgery token (in the form and, encrypted, in the
    /// component state), the script nonce and the echoed input.</summary>
    private static string Normalize(string body, string email, string orgId) =>
        ScriptNonce().Replace(ComponentState().Replace(TokenField().Replace(body, "TOKEN"), "STATE"), "NONCE").Replace(email, "EMAIL", StringComparison.Ordinal).Replace(orgId, "ORG", StringComparison.Ordinal);
}

public sealed class SelfServicePageTestsOnSqlite(MailPortalFixture fixture) : SelfServicePageTests(fixture), IClassFixture<MailPortalFixture>;

public sealed class SelfServicePageTestsOnPostgres(PostgresMailPortalFixture fixture) : SelfServicePageTests(fixture), IClassFixture<PostgresMailPortalFixture>;

/// <summary>A per-address limit of three posts in ten minutes, so the fourth post from one address is refused.</summary>
public sealed class AddressLimitedPortalFixture : PortalFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Api:RateLimit:PermitLimit"] = "3",
        ["Api:RateLimit:Window"] = "00:10:00",
    };
}

/// <summary>The page's own limit per client address, on top of the service's per-user limits.</summary>
public sealed class SelfServicePageAddressLimitTests(AddressLimitedPortalFixture fixture) : IClassFixture<AddressLimitedPortalFixture>
{
    [Fact]
    public async Task Past_the_limit_one_address_is_asked_to_wait_whoever_it_asks_for_and_nothing_is_sent()
    {
        var host = fixture.Factory;
        var (orgId, pending, userId) = await host.CreatePendingUserAsync("ss-address");
        using var client = host.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            var (_, allowed) = await SelfServicePageTests.SubmitAsync(client, PortalFactory.NewEmail("ss-address-other"), orgId);
            Assert.Contains("a new code is on its way", allowed, StringComparison.Ordinal);
        }

        var codesBefore = (await host.AllCodesAsync(userId)).Count;
        foreach (var who in new[] { pending, PortalFactory.NewEmail("ss-address-unknown") })
        {
            var (status, body) = await SelfServicePageTests.SubmitAsync(client, who, orgId);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("Too many requests from your network. Please try again in 10 minutes.", body, StringComparison.Ordinal);
            Assert.DoesNotContain("a new code is on its way", body, StringComparison.Ordinal);
        }

        Assert.Equal(codesBefore, (await host.AllCodesAsync(userId)).Count);
    }
}
