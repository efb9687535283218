using System.Net;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// <c>POST /auth/registration/init</c> tells a caller nothing about who exists: an unknown organization, an unknown
/// user of a known one, a deactivated user and a pending user with a wrong code get the same answer, byte for byte.
/// </summary>
/// <remarks>Runs once per database provider: <see cref="RegistrationInitAnswerTestsOnSqlite"/> and <see cref="RegistrationInitAnswerTestsOnPostgres"/>.</remarks>
public abstract class RegistrationInitAnswerTests(QueuedMailPortalFixture fixture)
{
    /// <summary>Headers that differ from one answer to the next whatever was asked: the time and the trace.</summary>
    private static readonly HashSet<string> PerRequestHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Date", "traceparent", "tracestate", "Request-Id", "X-Request-Id", "Request-Context",
    };

    private PortalFactory Host => fixture.Factory;

    [Fact]
    public async Task Unknown_org_unknown_user_deactivated_user_and_a_wrong_code_get_byte_identical_answers()
    {
        var (orgId, pending, _) = await Host.CreatePendingUserAsync("init-same-pending");
        var deactivated = PortalFactory.NewEmail("init-same-deactivated");
        await Host.DeactivateAsync(await Host.InviteAsync(orgId, deactivated));
        var unknownOrg = Ids.New(Ids.Organization);
        // A well-formed code that is nobody's (the pending user's own code is only in their queued mail).
        var wrongCode = RegistrationCodes.Generate();

        var cases = new (string Case, string OrgId, string Username)[]
        {
            ("pending user with a wrong code", orgId, pending),
            ("unknown organization", unknownOrg, PortalFactory.NewEmail("init-same-unknown-org")),
            ("unknown user of a known organization", orgId, PortalFactory.NewEmail("init-same-unknown-user")),
            ("deactivated user", orgId, deactivated),
        };

        var answers = new List<(string Case, string Answer)>();
        using var client = Host.CreateClient();
        foreach (var (name, org, username) in cases)
        {
            using var response = await client.InitAsync(org, username, wrongCode);
            answers.Add((name, await DescribeAsync(response)));
        }

        var expected = answers[0].Answer;
        Assert.Contains("401", expected, StringComparison.Ordinal);
        Assert.Contains("""{"error":{"message":"Not Authorized."}}""", expected, StringComparison.Ordinal);
        foreach (var (name, answer) in answers.Skip(1))
        {
            Assert.True(answer == expected, $"The answer to the {name} differs from the answer to the {answers[0].Case}:\n{answer}\n---- versus ----\n{expected}");
        }
    }

    /// <summary>Status line, every header but the per-request ones (sorted, with their values) and the body's bytes.</summary>
    private static async Task<string> DescribeAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(h => !PerRequestHeaders.Contains(h.Key))
            .Select(h => $"{h.Key.ToLowerInvariant()}: {string.Join(", ", h.Value)}")
            .Order(StringComparer.Ordinal);
        return $"{(int)response.StatusCode} {response.ReasonPhrase}\n{string.Join("\n", headers)}\n\n{System.Text.Encoding.UTF8.GetString(body)}";
    }
}

public sealed class RegistrationInitAnswerTestsOnSqlite(QueuedMailPortalFixture fixture) : RegistrationInitAnswerTests(fixture), IClassFixture<QueuedMailPortalFixture>;

public sealed class RegistrationInitAnswerTestsOnPostgres(PostgresQueuedMailPortalFixture fixture) : RegistrationInitAnswerTests(fixture), IClassFixture<PostgresQueuedMailPortalFixture>;
