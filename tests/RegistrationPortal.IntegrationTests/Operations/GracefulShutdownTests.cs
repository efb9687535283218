using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>A host stopped while its dispatcher is in the middle of a batch, with a real SMTP server.</summary>
public sealed class GracefulShutdownTests : IAsyncLifetime
{
    private const int Messages = 12;
    private const int StopDuring = 5;

    private readonly string _directory = Directory.CreateTempSubdirectory("portal-shutdown-").FullName;
    private SmtpServer? _smtp;

    public async Task InitializeAsync() => _smtp = await SmtpServer.StartNewAsync();

    public async Task DisposeAsync()
    {
        await _smtp!.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Stopping_mid_batch_finishes_the_message_in_hand_leaves_the_rest_queued_and_sends_none_twice()
    {
        var smtp = _smtp!;
        var emails = new List<string>();
        await using (var queueing = new PortalFactory(settings: new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" }, dataDirectory: _directory))
        {
            var orgId = await queueing.CreateOrganizationAsync();
            for (var i = 0; i < Messages; i++)
            {
                var email = PortalFactory.NewEmail($"shutdown{i}");
                await queueing.InviteAsync(orgId, email);
                emails.Add(email);
            }
        }

        // The dispatcher's transport is the real SMTP one; the wrapper only holds the fifth message until the host is told to stop.
        PausingTransport? pausing = null;
        var stopping = new PortalFactory(
            smtp,
            new Dictionary<string, string?> { ["Email:BatchSize"] = "50" },
            services => services.AddSingleton<IEmailTransport>(sp => pausing = new PausingTransport(
                sp.GetRequiredService<SmtpEmailTransport>(), StopDuring, sp.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping)),
            _directory);
        _ = stopping.Server;
        await Wait.WaitUntilAsync(() => pausing?.Paused.Task.IsCompleted == true, "the dispatcher holds message 5 of the batch");
        Assert.Equal(StopDuring - 1, smtp.Messages().Count);

        await stopping.DisposeAsync();

        // The message in hand went out and was marked; nothing after it was touched.
        Assert.Equal(StopDuring, smtp.Messages().Count);
        await using (var restarted = new PortalFactory(smtp, new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" }, dataDirectory: _directory))
        {
            var rows = await restarted.WithDbAsync(db => db.OutboxMessages.AsNoTracking().ToListAsync());
            Assert.Equal(StopDuring, rows.Count(m => m.Status == OutboxStatus.Sent));
            Assert.Equal(Messages - StopDuring, rows.Count(m => m.Status == OutboxStatus.Pending));
            Assert.All(rows.Where(m => m.Status == OutboxStatus.Pending), m => Assert.Equal(0, m.Attempts));
            var sentTo = rows.Where(m => m.Status == OutboxStatus.Sent).Select(m => m.ToAddress).Order(StringComparer.Ordinal);
            Assert.Equal(sentTo, smtp.Messages().Select(m => m.Message.To.Mailboxes.Single().Address).Order(StringComparer.Ordinal));
        }

        // The next host sends the rest, and every address gets exactly one message.
        await using (var next = new PortalFactory(smtp, dataDirectory: _directory))
        {
            _ = next.Server;
            await Wait.WaitUntilAsync(() => smtp.Messages().Count >= Messages, "the queued messages are sent");
            await Wait.WaitUntilAsync(async () => (await next.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.Status == OutboxStatus.Pending))) == 0, "the outbox is drained");
        }

        Assert.Equal(Messages, smtp.Messages().Count);
        foreach (var email in emails)
        {
            Assert.Single(smtp.MessagesTo(email));
        }
    }

    /// <summary>Delegates to the real transport; before the n-th message it waits until the host is stopping.</summary>
    private sealed class PausingTransport(IEmailTransport inner, int pauseAt, CancellationToken stopping) : IEmailTransport
    {
        private int _sends;

        public TaskCompletionSource Paused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<IEmailSession> OpenAsync(CancellationToken ct) => new Session(this, await inner.OpenAsync(ct));

        private async Task BeforeSendAsync()
        {
            if (Interlocked.Increment(ref _sends) != pauseAt)
            {
                return;
            }

            Paused.TrySetResult();
            var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (stopping.Register(() => released.TrySetResult()))
            {
                await released.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
        }

        private sealed class Session(PausingTransport owner, IEmailSession inner) : IEmailSession
        {
            public async Task SendAsync(MimeMessage message, CancellationToken ct)
            {
                await owner.BeforeSendAsync();
                await inner.SendAsync(message, ct);
            }

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
