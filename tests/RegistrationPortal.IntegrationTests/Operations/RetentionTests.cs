using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Operations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>Short retention (audit 10 days, finished mail 5, spent codes 7) and tiny batches, so pruning takes several.</summary>
public sealed class RetentionPortalFixture : PortalFixture
{
    protected override bool WithSmtp => false;

    protected override IReadOnlyDictionary<string, string?> Settings => RetentionTests.Retention;
}

/// <summary>Pruning at an explicit time: exactly what is past retention goes, nothing else.</summary>
public sealed class RetentionTests(RetentionPortalFixture fixture) : IClassFixture<RetentionPortalFixture>
{
    public static readonly IReadOnlyDictionary<string, string?> Retention = new Dictionary<string, string?>
    {
        ["Email:DispatcherEnabled"] = "false",
        ["Retention:AuditEvents"] = "10.00:00:00",
        ["Retention:OutboxMessages"] = "5.00:00:00",
        ["Retention:SpentCodes"] = "7.00:00:00",
        ["Retention:BatchSize"] = "2",
    };

    private readonly PortalFactory _host = fixture.Factory;

    [Fact]
    public async Task Pruning_removes_exactly_what_is_past_retention_and_nothing_else()
    {
        var now = DateTimeOffset.UtcNow;
        var data = await OldDataAsync.CreateAsync(_host, now);
        var retention = _host.Services.GetRequiredService<RetentionService>();

        var plan = await retention.PlanAsync(now);
        Assert.Equal(new RetentionReport(AuditEvents: 2, OutboxMessages: 3, RegistrationCodes: 3, RegistrationChallenges: 1, ResendCounters: 1, AttemptCounters: 1), plan);
        Assert.Equal(data.All, await data.RemainingAsync(_host));

        var pruned = await retention.PruneAsync(now);

        Assert.Equal(plan, pruned);
        Assert.Equal(data.Kept, await data.RemainingAsync(_host));
        Assert.Equal(new RetentionReport(0, 0, 0, 0, 0, 0), await retention.PruneAsync(now));

        var record = await _host.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(a => a.Action == AuditActions.RetentionPruned).ToListAsync());
        Assert.Contains(record, a => a.Details!.Contains("audit_events 2, outbox_messages 3, registration_codes 3, registration_challenges 1, resend_counters 1, attempt_counters 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_operator_verb_counts_without_deleting_and_then_prunes()
    {
        var directory = Directory.CreateTempSubdirectory("portal-retention-").FullName;
        try
        {
            OldData data;
            await using (var host = new PortalFactory(settings: Retention, dataDirectory: directory))
            {
                data = await OldDataAsync.CreateAsync(host, DateTimeOffset.UtcNow);
            }

            var environment = new Dictionary<string, string>
            {
                ["ConnectionStrings__Portal"] = $"Data Source={Path.Combine(directory, "portal.db")}",
                ["Retention__AuditEvents"] = "10.00:00:00",
                ["Retention__OutboxMessages"] = "5.00:00:00",
                ["Retention__SpentCodes"] = "7.00:00:00",
            };
            string[] expected = ["audit_events 2", "outbox_messages 3", "registration_codes 3", "registration_challenges 1", "resend_counters 1", "attempt_counters 1"];

            var dryRun = await PortalProcess.RunAsync(directory, environment, "retention", "prune", "--dry-run");
            Assert.True(dryRun.ExitCode == 0, dryRun.Stderr);
            Assert.Equal(expected, dryRun.StdoutLines);
            Assert.Contains("nothing was deleted", dryRun.Stderr, StringComparison.Ordinal);

            var prune = await PortalProcess.RunAsync(directory, environment, "retention", "prune");
            Assert.True(prune.ExitCode == 0, prune.Stderr);
            Assert.Equal(expected, prune.StdoutLines);

            var again = await PortalProcess.RunAsync(directory, environment, "retention", "prune", "--dry-run");
            Assert.Equal(["audit_events 0", "outbox_messages 0", "registration_codes 0", "registration_challenges 0", "resend_counters 0", "attempt_counters 0"], again.StdoutLines);

            await using var reopened = new PortalFactory(settings: Retention, dataDirectory: directory);
            Assert.Equal(data.Kept, await data.RemainingAsync(reopened));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Rows of one organization on both sides of each cutoff; names say which side.</summary>
    private static class OldDataAsync
    {
        public static async Task<OldData> CreateAsync(PortalFactory host, DateTimeOffset now)
        {
            var (orgId, _, userId) = await host.CreatePendingUserAsync("retention");
            var ids = new Dictionary<string, object>();
            await host.WithDbAsync(async db =>
            {
                void Audit(string name, TimeSpan age) => db.AuditEvents.Add(new AuditEvent { At = now - age, OrgId = orgId, Action = "test." + name, ActorKind = "System" });
                Audit("prune-11d", TimeSpan.FromDays(11));
                Audit("prune-10d-1s", TimeSpan.FromDays(10) + TimeSpan.FromSeconds(1));
                Audit("keep-10d-minus-1h", TimeSpan.FromDays(10) - TimeSpan.FromHours(1));
                Audit("keep-1d", TimeSpan.FromDays(1));

                void Message(string name, OutboxStatus status, TimeSpan age)
                {
                    var id = Guid.NewGuid();
                    ids[name] = id;
                    db.OutboxMessages.Add(new OutboxMessage { Id = id, OrgId = orgId, UserId = userId, ToAddress = "someone@example.com", Status = status, CreatedAt = now - age, NextAttemptAt = now - age });
                }

                Message("prune-sent-6d", OutboxStatus.Sent, TimeSpan.FromDays(6));
                Message("prune-failed-6d", OutboxStatus.Failed, TimeSpan.FromDays(6));
                Message("prune-superseded-6d", OutboxStatus.Superseded, TimeSpan.FromDays(6));
                Message("keep-pending-30d", OutboxStatus.Pending, TimeSpan.FromDays(30));
                Message("keep-sent-4d", OutboxStatus.Sent, TimeSpan.FromDays(4));

                Guid Code(string name, TimeSpan expiresIn, TimeSpan? usedAgo = null, TimeSpan? invalidatedAgo = null)
                {
                    var id = Guid.NewGuid();
                    ids[name] = id;
                    db.RegistrationCodes.Add(new RegistrationCode
                    {
                        Id = id,
                        OrgId = orgId,
                        UserId = userId,
                        CodeHash = new byte[32],
                        CreatedAt = now + expiresIn - TimeSpan.FromDays(3),
                        ExpiresAt = now + expiresIn,
                        UsedAt = now - usedAgo,
                        InvalidatedAt = now - invalidatedAgo,
                    });
                    return id;
                }

                var used8d = Code("prune-used-8d", -TimeSpan.FromDays(6), usedAgo: TimeSpan.FromDays(8));
                Code("prune-invalidated-7d1h", -TimeSpan.FromDays(5), invalidatedAgo: TimeSpan.FromDays(7) + TimeSpan.FromHours(1));
                Code("prune-expired-7d1m", -(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1)));
                var used6d = Code("keep-used-6d", -TimeSpan.FromDays(4), usedAgo: TimeSpan.FromDays(6));
                Code("keep-invalidated-1d", TimeSpan.FromDays(2), invalidatedAgo: TimeSpan.FromDays(1));
                Code("keep-expired-6d", -TimeSpan.FromDays(6));

                void Challenge(string name, Guid codeId)
                {
                    var id = Guid.NewGuid();
                    ids[name] = id;
                    db.RegistrationChallenges.Add(new RegistrationChallenge { Id = id, OrgId = orgId, UserId = userId, CodeId = codeId, Challenge = name, CreatedAt = now - TimeSpan.FromDays(9), ExpiresAt = now - TimeSpan.FromDays(9) });
                }

                Challenge("prune-challenge-of-used-8d", used8d);
                Challenge("keep-challenge-of-used-6d", used6d);

                // Resend counters (the cooldown is shorter than the hour): one whose last request is over an hour old
                // holds no one back; one still in its hourly window does.
                void Counter(string name, TimeSpan lastAgo, TimeSpan windowAgo)
                {
                    var username = name.ToUpperInvariant() + "@EXAMPLE.COM";
                    ids[name] = username;
                    db.ResendThrottles.Add(new ResendThrottle { OrgId = orgId, NormalizedUsername = username, LastRequestAt = now - lastAgo, WindowStartedAt = now - windowAgo, WindowCount = 3 });
                }

                Counter("prune-counter-61m", TimeSpan.FromMinutes(61), TimeSpan.FromMinutes(90));
                Counter("keep-counter-30m", TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(40));

                // Wrong-code counters (the window is an hour): one whose last failure is over an hour old goes.
                void Attempts(string name, TimeSpan lastAgo)
                {
                    var address = name;
                    ids[name] = new AttemptCounterKey(address);
                    db.CodeAttemptCounters.Add(new CodeAttemptCounter { OrgId = orgId, NormalizedUsername = "SOMEONE@EXAMPLE.COM", ClientAddress = address, Failures = 5, WindowStartedAt = now - lastAgo - TimeSpan.FromMinutes(5), LastFailureAt = now - lastAgo });
                }

                Attempts("prune-attempts-61m", TimeSpan.FromMinutes(61));
                Attempts("keep-attempts-30m", TimeSpan.FromMinutes(30));
                return await db.SaveChangesAsync();
            });

            // The invitation's own code (valid now) and its queued message are this organization's too: both stay.
            var invitationCode = (await host.ValidCodesAsync(userId)).Single(c => c.ExpiresAt > now);
            ids["keep-invitation-code"] = invitationCode.Id;
            ids["keep-invitation-message"] = (await host.OutboxAsync(userId)).Single(m => m.Status == OutboxStatus.Pending && m.CodeId == invitationCode.Id).Id;
            return new OldData(orgId, userId, ids);
        }
    }

    private sealed record AttemptCounterKey(string Address);

    private sealed record OldData(string OrgId, string UserId, Dictionary<string, object> Ids)
    {
        private static readonly string[] AuditNames = ["prune-11d", "prune-10d-1s", "keep-10d-minus-1h", "keep-1d"];

        public IReadOnlyList<string> All => [.. AuditNames.Select(n => "audit " + n), .. Ids.Keys.Order(StringComparer.Ordinal)];

        public IReadOnlyList<string> Kept => All.Where(n => n.Contains("keep-", StringComparison.Ordinal)).ToList();

        /// <summary>The names of this data's rows still in the database, in the order of <see cref="All"/>.</summary>
        public async Task<IReadOnlyList<string>> RemainingAsync(PortalFactory host)
        {
            var audit = await host.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(a => a.OrgId == OrgId && a.Action.StartsWith("test.")).Select(a => a.Action).ToListAsync());
            var present = new HashSet<Guid>();
            present.UnionWith(await host.WithDbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.UserId == UserId).Select(m => m.Id).ToListAsync()));
            present.UnionWith(await host.WithDbAsync(db => db.RegistrationCodes.AsNoTracking().Where(c => c.UserId == UserId).Select(c => c.Id).ToListAsync()));
            present.UnionWith(await host.WithDbAsync(db => db.RegistrationChallenges.AsNoTracking().Where(c => c.UserId == UserId).Select(c => c.Id).ToListAsync()));
            var counters = await host.WithDbAsync(db => db.ResendThrottles.AsNoTracking().Where(t => t.OrgId == OrgId).Select(t => t.NormalizedUsername).ToListAsync());
            var attempts = await host.WithDbAsync(db => db.CodeAttemptCounters.AsNoTracking().Where(c => c.OrgId == OrgId).Select(c => c.ClientAddress).ToListAsync());
            return All.Where(n => n.StartsWith("audit ", StringComparison.Ordinal)
                    ? audit.Contains("test." + n["audit ".Length..])
                    : Ids[n] switch
                    {
                        string username => counters.Contains(username),
                        AttemptCounterKey key => attempts.Contains(key.Address),
                        var id => present.Contains((Guid)id),
                    })
                .ToList();
        }
    }
}
