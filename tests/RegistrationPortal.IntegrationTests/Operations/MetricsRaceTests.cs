using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Data.Postgres;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>
/// Metrics of what happens between a batch's statements, with hosts of their own. In the metrics collection, so no
/// other host adds to the process-wide counters meanwhile; a class of its own, so its host is gone before
/// <see cref="MetricsTests"/>' shared host starts or after it stopped.
/// </summary>
[Collection(nameof(MetricsCollection))]
public sealed class MetricsRaceTests
{
    /// <summary>
    /// Retention deletes a long-expired code while a batch is counting a wrong code against it (PostgreSQL, where the
    /// batch does not lock codes and each statement sees the latest commit): nothing was cut off, and the scrape says so.
    /// </summary>
    [Fact]
    public async Task A_code_deleted_in_the_middle_of_a_batch_counting_a_wrong_code_against_it_is_no_guessing_cutoff()
    {
        var gap = new DatabaseGap();
        await using var host = new PortalFactory(
            settings: new Dictionary<string, string?>
            {
                ["Telemetry:Prometheus"] = "true",
                ["Telemetry:MetricsToken"] = PrometheusPortalFixture.MetricsToken,
                ["Registration:RequestProcessorEnabled"] = "false",
                ["Registration:MaxFailedAttemptsPerCode"] = "1",
                ["Email:DispatcherEnabled"] = "false",
            },
            services: s => s.ConfigureDbContext<PostgresPortalDbContext>(o => o.AddInterceptors(gap)),
            provider: DatabaseProvider.Postgres);
        using var client = host.CreateClient();
        var (orgId, email, userId) = await host.CreatePendingUserAsync("deleted-mid-batch");
        var codeId = Assert.Single(await host.ValidCodesAsync(userId)).Id;
        using (var wrong = await client.InitAsync(orgId, email, "WRNG-0000-AAAA-AAAA"))
        {
            await DfnsApi.AssertErrorAsync(wrong, HttpStatusCode.Unauthorized, DfnsErrors.NotAuthorized);
        }

        var before = await MetricsTests.ScrapeAsync(client);

        // The batch has found the code outstanding; just before it reads the code's wrong tries, the code is gone.
        gap.Arm("\"FailedAttempts\"", () => host.WithDbAsync(db => db.RegistrationCodes.Where(c => c.Id == codeId).ExecuteDeleteAsync()));
        Assert.Equal(1, await host.Services.GetRequiredService<RegistrationService>().ProcessPublicRequestsAsync(host.RequestBatchSize));

        Assert.True(gap.Ran);
        var after = await MetricsTests.ScrapeAsync(client);
        Assert.Equal(0, MetricsTests.Delta(before, after, "portal_registration_guessing_cutoffs_total", ("door", "api")));
    }
}
