using System.Globalization;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Email;
using Xunit.Abstractions;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>
/// The one host of a SQLite installation, run as its own process, is killed (SIGKILL) while the SMTP server holds the
/// answer to a message it has already stored; the host started again on the same database file sends every queued
/// message, and only that one message in flight can arrive twice.
/// </summary>
public sealed class HostKilledWhileSendingTests(ITestOutputHelper output)
{
    private const int Users = 20;

    private static readonly TimeSpan ClaimLease = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task A_sqlite_host_killed_mid_batch_loses_no_message_after_a_restart_and_sends_at_most_the_one_in_flight_twice()
    {
        await using var smtp = await SmtpServer.StartScriptedAsync();
        var data = Directory.CreateTempSubdirectory("regportal-sigkill-");
        var working = Directory.CreateTempSubdirectory("regportal-sigkill-cwd-");
        try
        {
            // The invitations are queued by a host without a dispatcher, which then stops: the file holds them all.
            var users = new List<(string Email, string Id)>();
            string connectionString;
            await using (var writer = new PortalFactory(settings: new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" }, dataDirectory: data.FullName))
            {
                connectionString = writer.ConnectionString;
                var orgId = await writer.CreateOrganizationAsync();
                for (var i = 0; i < Users; i++)
                {
                    var email = PortalFactory.NewEmail($"sigkill{i:00}");
                    users.Add((email, await writer.InviteAsync(orgId, email)));
                }
            }

            // The server stores whatever it is sent but holds its answer: the host's first send stays in flight.
            smtp.SetRule("*", SmtpRule.HoldData);
            DateTimeOffset killedAt;
            string inFlight;
            await using (var doomed = PortalProcess.Start(working.FullName, new Dictionary<string, string>
            {
                ["Database__Provider"] = "Sqlite",
                ["ConnectionStrings__Portal"] = connectionString,
                ["Seed__Demo__Enabled"] = "false",
                ["Email__Smtp__Host"] = "127.0.0.1",
                ["Email__Smtp__Port"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
                ["Email__Smtp__Security"] = "None",
                ["Email__Smtp__Timeout"] = "00:05:00",
                ["Email__ClaimLease"] = ClaimLease.ToString("c", CultureInfo.InvariantCulture),
                ["Email__PollInterval"] = "00:00:00.200",
                // One sender, so one message is in flight when the host dies (each sender has at most one).
                ["Email__Senders"] = "1",
            }, "--urls", "http://127.0.0.1:0"))
            {
                await Wait.WaitUntilAsync(
                    () => Task.FromResult(doomed.HasExited ? throw new InvalidOperationException($"The host exited early: {doomed.Stderr}") : smtp.Events().Any(e => e.Command == "DATA-HELD")),
                    TimeSpan.FromSeconds(60),
                    "the host has a message in flight");
                inFlight = Assert.Single(smtp.Events(), e => e.Command == "DATA-HELD").Address;

                // SIGKILL (Process.Kill): no graceful stop, no release of the batch it claimed, no answer read.
                killedAt = DateTimeOffset.UtcNow;
            }

            Assert.Single(smtp.Messages());
            smtp.SetRule("*", SmtpRule.Accept);

            // The host again, on the same file: it takes the dead host's claim over once it lapses.
            await using var restarted = new PortalFactory(
                smtp,
                new Dictionary<string, string?> { ["Email:ClaimLease"] = ClaimLease.ToString("c", CultureInfo.InvariantCulture) },
                dataDirectory: data.FullName);
            _ = restarted.Server;
            foreach (var (email, id) in users)
            {
                var mail = (await smtp.WaitForMessagesAsync(email))[^1];
                Assert.True(restarted.CodeMatches(mail.Code, Assert.Single(await restarted.ValidCodesAsync(id)).CodeHash), $"{email} got their valid code");
            }

            await Wait.WaitUntilAsync(
                async () => await restarted.WithDbAsync(db => db.OutboxMessages.AllAsync(m => m.Status == OutboxStatus.Sent && m.ClaimToken == null)),
                "every message is marked sent");

            var twice = users.Where(u => smtp.MessagesTo(u.Email).Count > 1).Select(u => u.Email.ToLowerInvariant()).ToList();
            Assert.All(users, u => Assert.InRange(smtp.MessagesTo(u.Email).Count, 1, 2));
            Assert.True(twice.Count == 0 || (twice.Count == 1 && twice[0] == inFlight), $"Only the message in flight ({inFlight}) may arrive twice; twice: {string.Join(", ", twice)}");
            Assert.Equal(Users + twice.Count, smtp.Messages().Count);

            var again = smtp.MessagesTo(inFlight)[^1].Order;
            var sentAgainAt = DateTimeOffset.FromUnixTimeSeconds(again.Seconds).AddTicks(again.Micros * 10);
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"The message in flight at the SIGKILL was delivered {smtp.MessagesTo(inFlight).Count} time(s); the restarted host sent it {(sentAgainAt - killedAt).TotalSeconds:0.0} s after the kill (claim lease {ClaimLease.TotalSeconds:0} s); all {Users} queued messages delivered."));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            data.Delete(recursive: true);
            working.Delete(recursive: true);
        }
    }
}
