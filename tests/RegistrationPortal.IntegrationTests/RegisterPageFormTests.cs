using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// The register page (<c>/register</c>) as plain HTTP sees it: what works without its script. Its "Send a new code" is
/// the self-service resend door, so it answers the same whoever asks; the passkey step itself is tested in a real browser.
/// </summary>
public abstract partial class RegisterPageFormTests(MailPortalFixture fixture)
{
    private const string Page = "/register";

    private PortalFactory Host => fixture.Factory;

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    [GeneratedRegex("<!--Blazor-Server-Component-State:[^>]*-->")]
    private static partial Regex ComponentState();

    [GeneratedRegex("nonce=\"[^\"]+\"")]
    private static partial Regex ScriptNonce();

    [GeneratedRegex("<script(?<attributes>[^>]*)>(?<body>.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptElement();

    [Fact]
    public async Task Send_a_new_code_answers_the_same_page_for_every_case_sends_only_to_the_pending_user_and_never_echoes_the_code()
    {
        var (orgId, pending, pendingId) = await Host.CreatePendingUserAsync("rp-pending");
        var registered = PortalFactory.NewEmail("rp-registered");
        var registeredId = await Host.InviteAsync(orgId, registered);
        await Host.MarkRegisteredAsync(registeredId);
        var deactivated = PortalFactory.NewEmail("rp-deactivated");
        var deactivatedId = await Host.InviteAsync(orgId, deactivated);
        await Host.DeactivateAsync(deactivatedId);
        await fixture.Smtp.WaitForMessagesAsync(pending);
        var registeredMail = (await Host.OutboxAsync(registeredId)).Count;
        var deactivatedMail = (await Host.OutboxAsync(deactivatedId)).Count;
        const string TypedCode = "ABCD-EFGH-JKMN-PQRS";

        var pages = new List<string>();
        foreach (var (email, org) in new[]
                 {
                     (pending, orgId), (registered, orgId), (deactivated, orgId),
                     (PortalFactory.NewEmail("rp-unknown"), orgId), (PortalFactory.NewEmail("rp-unknown-org"), "or-zzzzz-zzzzz-zzzzzzzzzzzzzzzz"),
                 })
        {
            using var client = Host.CreateClient();
            var (status, body) = await SubmitAsync(client, "resend", email, org, TypedCode);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("If an account is waiting for registration, a new code is on its way.", body, StringComparison.Ordinal);
            Assert.DoesNotContain(TypedCode, body, StringComparison.Ordinal);
            pages.Add(Normalize(body, email, org));
        }

        Assert.All(pages, p => Assert.Equal(pages[0], p));
        var mails = await fixture.Smtp.WaitForMessagesAsync(pending, 2);
        Assert.True(Host.CodeMatches(mails[^1].Code, Assert.Single(await Host.ValidCodesAsync(pendingId)).CodeHash));
        Assert.Equal(registeredMail, (await Host.OutboxAsync(registeredId)).Count);
        Assert.Equal(deactivatedMail, (await Host.OutboxAsync(deactivatedId)).Count);
    }

    [Fact]
    public async Task Opening_the_page_changes_nothing_fills_in_the_form_and_runs_no_inline_script()
    {
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("rp-get");
        using var client = Host.CreateClient();
        var codesBefore = await Host.AllCodesAsync(userId);
        var throttlesBefore = await Host.WithDbAsync(db => db.ResendThrottles.CountAsync());

        using var response = await client.GetAsync($"{Page}?email={Uri.EscapeDataString(email)}&orgId={orgId}&extra=<script>");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"value=\"{email}\"", body, StringComparison.Ordinal);
        Assert.Contains($"value=\"{orgId}\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", body, StringComparison.Ordinal);
        Assert.Equal(codesBefore.Count, (await Host.AllCodesAsync(userId)).Count);
        Assert.Equal(codesBefore.Count(c => c.UsedAt is null && c.InvalidatedAt is null), (await Host.ValidCodesAsync(userId)).Count);
        Assert.Equal(throttlesBefore, await Host.WithDbAsync(db => db.ResendThrottles.CountAsync()));

        // The page's own module is loaded from the host, never written inline; only Blazor's import map is inline, under the nonce.
        var scriptSrc = string.Join(' ', response.Headers.GetValues("Content-Security-Policy")).Split(';').Select(d => d.Trim()).Single(d => d.StartsWith("script-src ", StringComparison.Ordinal));
        Assert.Contains("'nonce-", scriptSrc, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", scriptSrc, StringComparison.Ordinal);
        var scripts = ScriptElement().Matches(body).ToList();
        Assert.Contains(scripts, s => s.Groups["attributes"].Value.Contains("src=\"Features/Registration/Pages/RegisterPage.", StringComparison.Ordinal) && s.Groups["attributes"].Value.Contains("type=\"module\"", StringComparison.Ordinal));
        Assert.All(
            scripts.Where(s => s.Groups["body"].Value.Trim().Length > 0),
            s => Assert.Contains("nonce=", s.Groups["attributes"].Value, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_passkey_posted_without_the_script_says_it_needs_JavaScript_and_a_post_without_antiforgery_is_refused()
    {
        var (orgId, email, userId) = await Host.CreatePendingUserAsync("rp-noscript");
        using var client = Host.CreateClient();
        var codesBefore = (await Host.AllCodesAsync(userId)).Count;

        var (status, body) = await SubmitAsync(client, "passkey", email, orgId, "K7QH-3MZP-W9XD-R2TF");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Creating a passkey needs JavaScript", body, StringComparison.Ordinal);
        Assert.DoesNotContain("a new code is on its way", body, StringComparison.Ordinal);

        using var forged = await client.PostAsync(Page, Form(null, "resend", email, orgId, ""));
        Assert.Equal(HttpStatusCode.OK, forged.StatusCode);
        Assert.Contains("The form had expired", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(codesBefore, (await Host.AllCodesAsync(userId)).Count);
        await Host.AssertUnchangedAsync(userId);
    }

    private static async Task<(HttpStatusCode Status, string Body)> SubmitAsync(HttpClient client, string action, string email, string orgId, string code)
    {
        var form = await client.GetStringAsync(Page);
        var token = TokenField().Match(form).Groups[1].Value;
        using var response = await client.PostAsync(Page, Form(token, action, email, orgId, code));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static FormUrlEncodedContent Form(string? token, string action, string email, string orgId, string code)
    {
        var fields = new Dictionary<string, string> { ["_handler"] = "register", ["action"] = action, ["Input.Email"] = email, ["Input.OrgId"] = orgId, ["code"] = code };
        if (token is not null)
        {
            fields["__RequestVerificationToken"] = token;
        }

        return new FormUrlEncodedContent(fields);
    }

    private static string Normalize(string body, string email, string orgId) =>
        ScriptNonce().Replace(ComponentState().Replace(TokenField().Replace(body, "TOKEN"), "STATE"), "NONCE").Replace(email, "EMAIL", StringComparison.Ordinal).Replace(orgId, "ORG", StringComparison.Ordinal);
}

public sealed class RegisterPageFormTestsOnSqlite(MailPortalFixture fixture) : RegisterPageFormTests(fixture), IClassFixture<MailPortalFixture>;

public sealed class RegisterPageFormTestsOnPostgres(PostgresMailPortalFixture fixture) : RegisterPageFormTests(fixture), IClassFixture<PostgresMailPortalFixture>;
