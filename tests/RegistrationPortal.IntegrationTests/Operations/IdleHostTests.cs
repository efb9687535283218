using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>
/// A host with nothing to do leaves the database alone: once the public doors' requests are resolved, the processor
/// waits for the next one (or its poll, ten minutes apart here) instead of asking the database for more, which an
/// operator would see as a busy core and a busy database on an idle host.
/// </summary>
public sealed class IdleHostTests
{
    [Fact]
    public async Task Once_the_requests_are_resolved_the_processor_waits_for_the_next_one_without_asking_the_database_again()
    {
        var reads = new QueueReads();
        await using var smtp = await SmtpServer.StartNewAsync();
        await using var host = new PortalFactory(
            smtp,
            new Dictionary<string, string?> { ["Registration:RequestPollInterval"] = "00:10:00" },
            services: s => s.ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(reads)));
        var (orgId, first, _) = await host.CreatePendingUserAsync("idle-first");
        var second = PortalFactory.NewEmail("idle-second");
        await host.InviteAsync(orgId, second);
        await smtp.WaitForMessagesAsync(first);
        await smtp.WaitForMessagesAsync(second);
        using var client = host.CreateClient();

        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, first));
        await smtp.WaitForMessagesAsync(first, 2);
        var afterFirst = reads.Count;
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, second));
        await smtp.WaitForMessagesAsync(second, 2);

        // The second request's wake-up reads the queue once (twice if a stray wake-up came too), not read after read
        // while the host waits.
        Assert.InRange(reads.Count - afterFirst, 1, 2);
    }

    /// <summary>Counts the reads of the queue of the public doors' requests (the oldest so many waiting).</summary>
    private sealed class QueueReads : DbCommandInterceptor
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            var sql = command.CommandText;
            if (sql.StartsWith("SELECT", StringComparison.Ordinal) && sql.Contains("FROM \"PublicRequests\"", StringComparison.Ordinal) && sql.Contains("LIMIT", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _count);
            }

            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
