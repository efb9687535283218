using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests;

/// <summary><c>PUT /auth/registration/code</c> as a user and an eavesdropper see it: the mail, the codes, the neutral answer.</summary>
/// <remarks>Runs once per database provider: <see cref="ResendTestsOnSqlite"/> and <see cref="ResendTestsOnPostgres"/>.</remarks>
public abstract class ResendTests(MailPortalFixture fixture)
{
    private PortalFactory Host => fixture.Factory;

    private SmtpServer Smtp => fixture.Smtp;

    [Fact]
    public async Task Resend_for_a_pending_user_mails_a_new_code_that_is_the_only_valid_one()
    {
        var orgName = $"Acme & Sons {Guid.NewGuid():N}";
        var orgId = await Host.CreateOrganizationAsync(orgName);
        var email = PortalFactory.NewEmail("pending");
        var userId = await Host.InviteAsync(orgId, email);
        var invitation = Assert.Single(await Smtp.WaitForMessagesAsync(email));
        Assert.NotNull(invitation.Code);

        using var client = Host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));

        var mails = await Smtp.WaitForMessagesAsync(email, 2);
        var resent = mails[^1];
        Assert.NotNull(resent.Code);
        Assert.NotEqual(invitation.Code, resent.Code);

        var valid = Assert.Single(await Host.ValidCodesAsync(userId));
        Assert.True(Host.CodeMatches(resent.Code, valid.CodeHash), "the mailed code is the user's valid code");
        Assert.False(Host.CodeMatches(invitation.Code, valid.CodeHash), "the invitation's code is no longer valid");
        var replaced = Assert.Single(await Host.AllCodesAsync(userId), c => Host.CodeMatches(invitation.Code, c.CodeHash));
        Assert.NotNull(replaced.InvalidatedAt);

        var message = resent.Message;
        Assert.Contains(orgName, message.Subject, StringComparison.Ordinal);
        Assert.NotNull(message.TextBody);
        Assert.NotNull(message.HtmlBody);
        var expiry = valid.ExpiresAt.UtcDateTime.ToString("dddd d MMMM yyyy, HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var part in new[] { message.TextBody, WebUtility.HtmlDecode(message.HtmlBody) })
        {
            Assert.Contains(resent.Code, part, StringComparison.Ordinal);
            Assert.Contains(orgName, part, StringComparison.Ordinal);
            Assert.Contains(expiry, part, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Registered_unknown_and_deactivated_users_and_unknown_orgs_get_the_pending_answer_and_no_mail()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var pending = PortalFactory.NewEmail("pending");
        var registered = PortalFactory.NewEmail("registered");
        var deactivated = PortalFactory.NewEmail("deactivated");
        var unknown = PortalFactory.NewEmail("unknown");
        var pendingId = await Host.InviteAsync(orgId, pending);
        var registeredId = await Host.InviteAsync(orgId, registered);
        var deactivatedId = await Host.InviteAsync(orgId, deactivated);
        await Host.MarkRegisteredAsync(registeredId);
        await Host.DeactivateAsync(deactivatedId);

        // The invitations were queued before the users changed; let them settle so later mail is attributable.
        foreach (var userId in new[] { pendingId, registeredId, deactivatedId })
        {
            await Wait.WaitUntilAsync(() => Host.OutboxDrainedAsync(userId), "the invitation mail is handled");
        }

        var mailBefore = Smtp.Messages().Count;
        var outboxBefore = new Dictionary<string, int>
        {
            [registeredId] = (await Host.OutboxAsync(registeredId)).Count,
            [deactivatedId] = (await Host.OutboxAsync(deactivatedId)).Count,
        };

        using var client = Host.CreateClient();
        var answers = new List<(string Case, HttpResponseMessage Response, byte[] Body)>();
        foreach (var (label, org, username) in new[]
        {
            ("registered", orgId, registered),
            ("unknown user", orgId, unknown),
            ("deactivated", orgId, deactivated),
            ("unknown org", Ids.New(Ids.Organization), pending),
            ("pending", orgId, pending),
        })
        {
            var response = await client.ResendAsync(org, username);
            answers.Add((label, response, await response.Content.ReadAsByteArrayAsync()));
        }

        var reference = answers[^1];
        await DfnsApi.AssertSuccessAsync(reference.Response);
        foreach (var (label, response, body) in answers)
        {
            Assert.True(reference.Response.StatusCode == response.StatusCode, $"{label}: status {(int)response.StatusCode}");
            Assert.Equal(reference.Response.Content.Headers.ContentType, response.Content.Headers.ContentType);
            Assert.True(reference.Body.AsSpan().SequenceEqual(body), $"{label}: body {Encoding.UTF8.GetString(body)}");
            Assert.Equal(HeaderNames(reference.Response), HeaderNames(response));
        }

        var pendingMail = await Smtp.WaitForMessagesAsync(pending, 2);
        await Wait.WaitUntilAsync(() => Host.OutboxDrainedAsync(pendingId), "the pending user's mail is handled");
        Assert.Equal(mailBefore + 1, Smtp.Messages().Count);
        Assert.True(pendingMail[^1].IsTo(pending));
        Assert.Empty(Smtp.MessagesTo(unknown));
        foreach (var (userId, count) in outboxBefore)
        {
            Assert.Equal(count, (await Host.OutboxAsync(userId)).Count);
        }

        // The registered and the deactivated user's requests are each audited as skipped, with the reason.
        await Host.PublicRequestsResolvedAsync();
        foreach (var (userId, reason) in new[] { (registeredId, "AlreadyRegistered"), (deactivatedId, "Deactivated") })
        {
            var skipped = await Host.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(a => a.SubjectId == userId && a.Action == AuditActions.ResendSkipped).Select(a => a.Details).ToListAsync());
            Assert.Equal(reason, Assert.Single(skipped));
        }
    }

    [Fact]
    public async Task After_delivery_the_plaintext_code_is_nowhere_in_the_database_files()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail("at-rest");
        var userId = await Host.InviteAsync(orgId, email);
        await Smtp.WaitForMessagesAsync(email);
        using var client = Host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        var mails = await Smtp.WaitForMessagesAsync(email, 2);
        await Wait.WaitUntilAsync(
            async () => (await Host.OutboxAsync(userId)).All(m => m.Status == OutboxStatus.Sent && m.ProtectedPayload is null),
            "both messages are marked sent");

        var files = (await Host.DatabaseFilesAsync()).Select(ReadShared).ToList();
        Assert.NotEmpty(files);
        foreach (var code in mails.Select(m => m.Code!))
        {
            foreach (var text in new[] { code, code.Replace("-", string.Empty, StringComparison.Ordinal) })
            {
                foreach (var needle in new[] { Encoding.ASCII.GetBytes(text), Encoding.Unicode.GetBytes(text), Encoding.BigEndianUnicode.GetBytes(text) })
                {
                    Assert.All(files, bytes => Assert.Equal(-1, bytes.AsSpan().IndexOf(needle)));
                }
            }
        }
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string[] HeaderNames(HttpResponseMessage response) =>
        response.Headers.Concat(response.Content.Headers)
            .Select(h => h.Key.ToLowerInvariant())
            .Where(name => name != "date")
            .Order(StringComparer.Ordinal)
            .ToArray();
}

public sealed class ResendTestsOnSqlite(MailPortalFixture fixture) : ResendTests(fixture), IClassFixture<MailPortalFixture>;

public sealed class ResendTestsOnPostgres(PostgresMailPortalFixture fixture) : ResendTests(fixture), IClassFixture<PostgresMailPortalFixture>;
