using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>Prometheus on, the dispatcher off (so the backlog stays put), and a code dies at its second wrong try.</summary>
public sealed class PrometheusPortalFixture : PortalFixture
{
    public const string MetricsToken = "scrape-token-0123456789abcdef0123456789";

    protected override bool WithSmtp => false;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Telemetry:Prometheus"] = "true",
        ["Telemetry:MetricsToken"] = MetricsToken,
        ["Telemetry:BacklogCacheDuration"] = "00:00:00",
        ["Email:DispatcherEnabled"] = "false",
        ["Registration:MaxFailedAttemptsPerCode"] = "2",
    };
}

/// <summary>
/// Counters are process-wide instruments, so these tests run alone (no other host in the process adds to them) and
/// compare a scrape before and after each action.
/// </summary>
[CollectionDefinition(nameof(MetricsCollection), DisableParallelization = true)]
public sealed class MetricsCollection;

[Collection(nameof(MetricsCollection))]
public sealed partial class MetricsTests(PrometheusPortalFixture fixture) : IClassFixture<PrometheusPortalFixture>
{
    private readonly PortalFactory _host = fixture.Factory;

    [Fact]
    public async Task The_scrape_counts_a_resend_by_door_and_true_outcome()
    {
        var (orgId, email, userId) = await _host.CreatePendingUserAsync("metrics");
        using var client = _host.CreateClient();
        var before = await ScrapeAsync(client);

        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, PortalFactory.NewEmail("nobody")));
        var throttled = await client.ResendAsync(orgId, email);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        var adminOutcome = await _host.Services.GetRequiredService<OrgUserAdminService>().ResendAsync(AdminOf(orgId), userId, "127.0.0.1");
        Assert.Equal(ResendStatus.Sent, adminOutcome.Status);
        await _host.PublicRequestsResolvedAsync();

        var after = await ScrapeAsync(client);
        Assert.Equal(1, Delta(before, after, "portal_registration_resends_total", ("door", "api"), ("outcome", "sent")));
        Assert.Equal(1, Delta(before, after, "portal_registration_resends_total", ("door", "api"), ("outcome", "unknown")));
        Assert.Equal(1, Delta(before, after, "portal_registration_resends_total", ("door", "api"), ("outcome", "throttled")));
        Assert.Equal(0, Delta(before, after, "portal_registration_resends_total", ("door", "admin"), ("outcome", "throttled")));
        Assert.Equal(1, Delta(before, after, "portal_registration_resends_total", ("door", "admin"), ("outcome", "sent")));
        Assert.Equal(1, Delta(before, after, "portal_throttle_rejections_total", ("door", "api"), ("limit", "per_user")));
        Assert.Equal(0, Delta(before, after, "portal_throttle_rejections_total", ("door", "admin"), ("limit", "per_user")));
    }

    /// <summary>A nonce sent again is counted as a replay, not as a throttled resend (both are refused before the user is looked at).</summary>
    [Fact]
    public async Task The_scrape_counts_a_replayed_nonce_as_replayed_not_as_throttled()
    {
        var orgId = await _host.CreateOrganizationAsync();
        using var client = _host.CreateClient();
        var nonce = (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow));
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, PortalFactory.NewEmail("nonce-metrics"), nonce));
        await _host.PublicRequestsResolvedAsync();
        var before = await ScrapeAsync(client);

        await DfnsApi.AssertErrorAsync(await client.ResendAsync(orgId, PortalFactory.NewEmail("nonce-metrics"), nonce), HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);

        var after = await ScrapeAsync(client);
        Assert.Equal(1, Delta(before, after, "portal_registration_resends_total", ("door", "api"), ("outcome", "nonce_replayed")));
        Assert.Equal(0, Delta(before, after, "portal_registration_resends_total", ("door", "api"), ("outcome", "throttled")));
        Assert.Equal(0, Delta(before, after, "portal_throttle_rejections_total", ("door", "api"), ("limit", "per_user")));
    }

    /// <summary>Two wrong codes in a row kill the code here: the scrape counts one cut-off, for the API door.</summary>
    [Fact]
    public async Task The_scrape_counts_a_code_cut_off_by_wrong_codes_once()
    {
        var (orgId, email, userId) = await _host.CreatePendingUserAsync("cutoff-metrics");
        using var client = _host.CreateClient();
        await _host.PublicRequestsResolvedAsync();
        var before = await ScrapeAsync(client);

        foreach (var wrong in new[] { "WRNG-0000-AAAA-AAAA", "WRNG-0001-AAAA-AAAA" })
        {
            using var response = await client.InitAsync(orgId, email, wrong);
            await DfnsApi.AssertErrorAsync(response, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
        }

        await _host.PublicRequestsResolvedAsync();

        Assert.Empty(await _host.ValidCodesAsync(userId));
        var after = await ScrapeAsync(client);
        Assert.Equal(1, Delta(before, after, "portal_registration_guessing_cutoffs_total", ("door", "api")));
    }

    /// <summary>A completed registration consumes its code once, counted by its door; a completion refused in the writer counts nothing.</summary>
    [Fact]
    public async Task The_scrape_counts_a_code_consumed_by_a_completed_registration_by_door()
    {
        var (orgId, email, userId) = await _host.CreatePendingUserAsync("consumed-metrics");
        var twinEmail = PortalFactory.NewEmail("consumed-twin");
        var twinId = await _host.InviteAsync(orgId, twinEmail);
        using var client = _host.CreateClient();
        var (token, challenge, _) = await client.StartAsync(orgId, email, await _host.QueuedCodeAsync(userId));
        var (twinToken, twinChallenge, _) = await client.StartAsync(orgId, twinEmail, await _host.QueuedCodeAsync(twinId));
        var before = await ScrapeAsync(client);

        var credential = KeyCredentialParts.Build(challenge);
        using (var done = await client.CompleteAsync(token, credential.Body(), (RegistrationApi.DoorHeader, Actor.RegisterPageDoor), ("Sec-Fetch-Site", "same-origin")))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }

        using (var duplicate = await client.CompleteAsync(twinToken, (KeyCredentialParts.Build(twinChallenge) with { CredId = credential.CredId }).Body()))
        {
            Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        }

        var after = await ScrapeAsync(client);
        Assert.Equal(1, Delta(before, after, "portal_registration_codes_consumed_total", ("door", "self_service")));
        Assert.Equal(0, Delta(before, after, "portal_registration_codes_consumed_total", ("door", "api")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token-0123456789abcdef0123456789")]
    [InlineData("Bearer scrape-token-0123456789abcdef012345678")]
    [InlineData("Basic scrape-token-0123456789abcdef0123456789")]
    [InlineData("scrape-token-0123456789abcdef0123456789")]
    public async Task A_scrape_without_the_right_token_gets_401_and_no_figures(string? authorization)
    {
        var (orgId, email, _) = await _host.CreatePendingUserAsync("scraper");
        using var client = _host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        await _host.PublicRequestsResolvedAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/metrics", UriKind.Relative));
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var refused = await client.SendAsync(request);
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.DoesNotContain("portal_registration_resends_total", body, StringComparison.Ordinal);
        Assert.DoesNotContain("portal_", body, StringComparison.Ordinal);

        // The right token gets the figures, the resend's true outcome among them.
        Assert.True(Value(await ScrapeAsync(client), "portal_registration_resends_total", ("door", "api"), ("outcome", "sent")) >= 1);
    }

    [Fact]
    public async Task The_backlog_gauges_show_the_queued_mail_and_the_request_latency_is_measured()
    {
        using var client = _host.CreateClient();

        // Other tests' resends on this host are issued moments after their answer: settle them first.
        await _host.PublicRequestsResolvedAsync();
        var before = Value(await ScrapeAsync(client), "portal_outbox_backlog") ?? 0;

        await _host.CreatePendingUserAsync("backlog");
        await _host.CreatePendingUserAsync("backlog");

        var after = await ScrapeAsync(client);
        Assert.Equal(before + 2, Value(after, "portal_outbox_backlog"));
        Assert.True(Value(after, "portal_outbox_oldest_pending_age_seconds") >= 0);
        Assert.Contains("http_server_request_duration_seconds_bucket{", after, StringComparison.Ordinal);
    }

    /// <summary>An operator reads how much of each second the writer works from the batches' time, and the slow ones from its buckets.</summary>
    [Fact]
    public async Task The_scrape_shows_how_long_the_writer_took_over_its_batches()
    {
        var (orgId, email, _) = await _host.CreatePendingUserAsync("writer");
        using var client = _host.CreateClient();
        await _host.PublicRequestsResolvedAsync();
        var before = await ScrapeAsync(client);

        // The door's request, then its resolving: two writes at least.
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        await _host.PublicRequestsResolvedAsync();

        // A batch is timed once its callers have their answers: moments after the request is gone.
        var after = before;
        await Wait.WaitUntilAsync(
            async () => Delta(before, after = await ScrapeAsync(client), "portal_db_write_batch_duration_seconds_count") >= 2,
            "the scrape counts the door's write and the resolving write");
        Assert.True(Delta(before, after, "portal_db_write_batch_duration_seconds_sum") > 0);

        // Buckets fine enough to tell the batches a request waits behind (tens of milliseconds) from the rest.
        Assert.NotNull(Value(after, "portal_db_write_batch_duration_seconds_bucket", ("le", "0.02")));
    }

    private static AdminScope AdminOf(string orgId)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "admin-" + orgId), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)],
            authenticationType: "test");
        return AdminScope.For(new ClaimsPrincipal(identity)) ?? throw new InvalidOperationException("no scope");
    }

    internal static async Task<string> ScrapeAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/metrics", UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", PrometheusPortalFixture.MetricsToken);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    internal static double Delta(string before, string after, string name, params (string Label, string Value)[] labels) =>
        (Value(after, name, labels) ?? 0) - (Value(before, name, labels) ?? 0);

    /// <summary>The value of the one series of <paramref name="name"/> with these labels, or null when it is not there yet.</summary>
    internal static double? Value(string scrape, string name, params (string Label, string Value)[] labels)
    {
        var values = scrape.Split('\n')
            .Select(line => Series().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value == name)
            .Where(m => labels.All(l => m.Groups["labels"].Value.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            .Select(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture))
            .ToList();
        return values.Count == 0 ? null : Assert.Single(values);
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{(?<labels>[^}]*)\})? (?<value>[-0-9.eE+]+)(?: \d+)?$")]
    private static partial Regex Series();
}

/// <summary>
/// Metrics read on a host of each test's own. Not in <see cref="MetricsTests"/>: every host's meter has the portal's one
/// name, so while the shared host lives, each host started beside it feeds the same series of its scrape, and that
/// host's end ends them; the classes of one collection run one after another, so these hosts never overlap the shared one.
/// </summary>
[Collection(nameof(MetricsCollection))]
public sealed class OwnHostMetricsTests
{
    /// <summary>
    /// Delivery attempts by outcome, and failed ones by whether the dispatcher gave up: one message accepted, one refused
    /// until the last of its three attempts (three, so that only the last counts as final: with two, a flag that marked
    /// the first attempt final instead would count the same). A host of its own, with a dispatcher and a server that refuses one address.
    /// </summary>
    [Fact]
    public async Task The_scrape_counts_delivery_attempts_by_outcome_and_final_failures()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        await using var host = new PortalFactory(smtp, new Dictionary<string, string?>
        {
            ["Telemetry:Prometheus"] = "true",
            ["Telemetry:MetricsToken"] = PrometheusPortalFixture.MetricsToken,
            ["Email:MaxAttempts"] = "3",
        });
        using var client = host.CreateClient();
        var before = await MetricsTests.ScrapeAsync(client);

        var orgId = await host.CreateOrganizationAsync();
        var refused = PortalFactory.NewEmail("refused-metrics");
        smtp.SetRule(refused, SmtpRule.RefuseRcpt);
        var refusedUser = await host.InviteAsync(orgId, refused);
        var accepted = PortalFactory.NewEmail("accepted-metrics");
        var acceptedUser = await host.InviteAsync(orgId, accepted);
        await smtp.WaitForMessagesAsync(accepted);
        await Wait.WaitUntilAsync(
            async () => await host.OutboxDrainedAsync(refusedUser) && await host.OutboxDrainedAsync(acceptedUser),
            "one invitation is sent and the other has failed for good");

        var after = await MetricsTests.ScrapeAsync(client);
        Assert.Equal(1, MetricsTests.Delta(before, after, "portal_email_delivery_attempts_total", ("outcome", "sent")));
        Assert.Equal(3, MetricsTests.Delta(before, after, "portal_email_delivery_attempts_total", ("outcome", "failed")));
        Assert.Equal(2, MetricsTests.Delta(before, after, "portal_email_delivery_failures_total", ("final", "false")));
        Assert.Equal(1, MetricsTests.Delta(before, after, "portal_email_delivery_failures_total", ("final", "true")));
    }

    /// <summary>
    /// Each request a batch resolves is counted by its true outcome (a user's second resend, answered by the code the
    /// first one brought, as sent too), and a code the batch's wrong codes cut off as a guessing cut-off. A host of its
    /// own whose requests wait until the test resolves them, so that they fall in one batch.
    /// </summary>
    [Fact]
    public async Task The_scrape_counts_each_request_of_a_batch_by_true_outcome_and_a_guessing_cutoff()
    {
        await using var host = new PortalFactory(settings: new Dictionary<string, string?>
        {
            ["Telemetry:Prometheus"] = "true",
            ["Telemetry:MetricsToken"] = PrometheusPortalFixture.MetricsToken,
            ["Registration:RequestProcessorEnabled"] = "false",
            ["Registration:ResendCooldown"] = "00:00:00",
            ["Registration:MaxFailedAttemptsPerCode"] = "5",
            ["Email:DispatcherEnabled"] = "false",
        });
        using var client = host.CreateClient();
        var orgId = await host.CreateOrganizationAsync();
        var pending = PortalFactory.NewEmail("batch-pending");
        var registered = PortalFactory.NewEmail("batch-registered");
        var deactivated = PortalFactory.NewEmail("batch-deactivated");
        var guessed = PortalFactory.NewEmail("batch-guessed");
        await host.InviteAsync(orgId, pending);
        await host.MarkRegisteredAsync(await host.InviteAsync(orgId, registered));
        await host.DeactivateAsync(await host.InviteAsync(orgId, deactivated));
        var guessedId = await host.InviteAsync(orgId, guessed);
        var before = await MetricsTests.ScrapeAsync(client);

        foreach (var email in new[] { pending, pending, registered, deactivated, PortalFactory.NewEmail("batch-nobody") })
        {
            await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        }

        for (var i = 0; i < 5; i++)
        {
            using var wrong = await client.InitAsync(orgId, guessed, "WRNG-0000-AAAA-AAAA");
            await DfnsApi.AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
        }

        Assert.Equal(10, await host.Services.GetRequiredService<RegistrationService>().ProcessPublicRequestsAsync(host.RequestBatchSize));
        Assert.Empty(await host.ValidCodesAsync(guessedId));

        var after = await MetricsTests.ScrapeAsync(client);
        Assert.Equal(2, MetricsTests.Delta(before, after, "portal_registration_resends_total", ("door", "api"), ("outcome", "sent")));
        Assert.Equal(1, MetricsTests.Delta(before, after, "portal_registration_resends_total", ("door", "api"), ("outcome", "already_registered")));
        Assert.Equal(1, MetricsTests.Delta(before, after, "portal_registration_resends_total", ("door", "api"), ("outcome", "deactivated")));
        Assert.Equal(1, MetricsTests.Delta(before, after, "portal_registration_resends_total", ("door", "api"), ("outcome", "unknown")));
        Assert.Equal(1, MetricsTests.Delta(before, after, "portal_registration_guessing_cutoffs_total", ("door", "api")));
    }

    /// <summary>
    /// The senders waiting while the host is busy with requests: with the mark at one request in flight, the scrapes
    /// themselves keep the host busy, and the gauge shows the one sender of two that waits.
    /// </summary>
    [Fact]
    public async Task The_scrape_shows_the_mail_senders_waiting_while_the_host_is_busy()
    {
        await using var host = new PortalFactory(settings: new Dictionary<string, string?>
        {
            ["Telemetry:Prometheus"] = "true",
            ["Telemetry:MetricsToken"] = PrometheusPortalFixture.MetricsToken,
            ["Email:Senders"] = "2",
            ["Email:SendersUnderLoad"] = "1",
            ["Email:BusyRequests"] = "1",
            ["Email:PollInterval"] = "00:00:00.100",
        });
        using var client = host.CreateClient();

        await Wait.WaitUntilAsync(
            async () => MetricsTests.Value(await MetricsTests.ScrapeAsync(client), "portal_email_senders_yielding") == 1,
            "the scrape shows one sender of two waiting while requests keep the host busy");
    }
}

/// <summary>Prometheus on and a per-address limit of one call in ten minutes.</summary>
public sealed class AddressLimitedPrometheusPortalFixture : PortalFixture
{
    protected override bool WithSmtp => false;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Telemetry:Prometheus"] = "true",
        ["Telemetry:MetricsToken"] = PrometheusPortalFixture.MetricsToken,
        ["Email:DispatcherEnabled"] = "false",
        ["Api:RateLimit:PermitLimit"] = "1",
        ["Api:RateLimit:Window"] = "00:10:00",
    };
}

/// <summary>A call the per-address limiter refuses is counted; alone, like <see cref="MetricsTests"/>, and on its own host.</summary>
[Collection(nameof(MetricsCollection))]
public sealed class PerAddressMetricsTests(AddressLimitedPrometheusPortalFixture fixture) : IClassFixture<AddressLimitedPrometheusPortalFixture>
{
    [Fact]
    public async Task The_scrape_counts_a_call_refused_by_the_per_address_limit()
    {
        var host = fixture.Factory;
        var orgId = await host.CreateOrganizationAsync();
        using var client = host.CreateClient();
        var before = await MetricsTests.ScrapeAsync(client);

        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, PortalFactory.NewEmail("per-address")));
        await DfnsApi.AssertErrorAsync(await client.ResendAsync(orgId, PortalFactory.NewEmail("per-address")), HttpStatusCode.TooManyRequests);

        var after = await MetricsTests.ScrapeAsync(client);
        Assert.Equal(1, MetricsTests.Delta(before, after, "portal_throttle_rejections_total", ("door", "api"), ("limit", "per_address")));
    }

    [Fact]
    public async Task The_scrape_counts_a_self_service_post_refused_by_the_pages_per_address_limit()
    {
        var host = fixture.Factory;
        var orgId = await host.CreateOrganizationAsync();
        using var client = host.CreateClient();
        var before = await MetricsTests.ScrapeAsync(client);

        var (_, allowed) = await SelfServicePageTests.SubmitAsync(client, PortalFactory.NewEmail("ss-per-address"), orgId);
        Assert.Contains("a new code is on its way", allowed, StringComparison.Ordinal);
        var (_, refused) = await SelfServicePageTests.SubmitAsync(client, PortalFactory.NewEmail("ss-per-address"), orgId);
        Assert.Contains("Too many requests from your network.", refused, StringComparison.Ordinal);

        var after = await MetricsTests.ScrapeAsync(client);
        Assert.Equal(1, MetricsTests.Delta(before, after, "portal_throttle_rejections_total", ("door", "self_service"), ("limit", "per_address")));
    }
}

/// <summary>With <c>Telemetry:Prometheus</c> off (the default) there is no scrape endpoint.</summary>
public sealed class MetricsOffTests(QueuedMailPortalFixture fixture) : IClassFixture<QueuedMailPortalFixture>
{
    [Fact]
    public async Task Metrics_is_an_ordinary_404_when_prometheus_is_off()
    {
        using var client = fixture.Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var response = await client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("portal_registration_resends_total", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
