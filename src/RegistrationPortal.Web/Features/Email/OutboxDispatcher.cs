using System.Diagnostics;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Operations;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Web.Features.Email;

/// <summary>
/// Sends queued mail: picks due outbox rows, skips those whose code was superseded, sends the rest over one
/// transport session per batch, and records each result. Failures retry with exponential backoff until
/// <see cref="EmailOptions.MaxAttempts"/>. A stopping host finishes the message in hand and leaves the rest queued.
/// </summary>
public sealed class OutboxDispatcher(
    IDbContextFactory<PortalDbContext> contexts,
    WriteQueue writes,
    IEmailTransport transport,
    RegistrationEmail composer,
    IDataProtectionProvider dataProtection,
    EmailSignal signal,
    DispatcherHeartbeat heartbeat,
    TimeProvider time,
    IOptionsMonitor<EmailOptions> options,
    PortalTelemetry telemetry,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private static readonly Actor Dispatcher = Actor.Operator("email-dispatcher");

    private readonly IDataProtector _protector = dataProtection.CreateProtector(OutboxPayload.Purpose);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.DispatcherEnabled)
        {
            logger.LogInformation("Email dispatcher is disabled; messages stay queued");
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            heartbeat.Beat(time.GetUtcNow());
            var full = false;
            try
            {
                full = await DispatchDueAsync(stoppingToken) >= options.CurrentValue.BatchSize;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Email dispatch pass failed; retrying after the poll interval");
            }

            if (!full)
            {
                try
                {
                    await signal.WaitAsync(options.CurrentValue.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>One pass over the due messages; returns how many it handled.</summary>
    public async Task<int> DispatchDueAsync(CancellationToken stoppingToken)
    {
        var settings = options.CurrentValue;
        var now = time.GetUtcNow();
        List<DueMessage> due;
        await using (var db = await contexts.CreateDbContextAsync(stoppingToken))
        {
            due = await (
                from m in db.OutboxMessages
                where m.Status == OutboxStatus.Pending && m.NextAttemptAt <= now
                join o in db.Organizations on m.OrgId equals o.Id
                orderby m.NextAttemptAt
                select new DueMessage(
                    m.Id,
                    m.OrgId,
                    m.UserId,
                    m.ToAddress,
                    m.ProtectedPayload,
                    m.Attempts,
                    m.TraceParent,
                    o.Name,
                    db.RegistrationCodes.Where(c => c.Id == m.CodeId).Select(c => (DateTimeOffset?)c.ExpiresAt).FirstOrDefault(),
                    db.RegistrationCodes.Any(c => c.Id == m.CodeId && c.UsedAt == null && c.InvalidatedAt == null)))
                .Take(settings.BatchSize)
                .ToListAsync(stoppingToken);
        }

        if (due.Count == 0)
        {
            return 0;
        }

        IEmailSession? session = null;
        try
        {
            foreach (var message in due)
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                // The delivery continues the trace of the request that queued it, so its logs and audit events carry
                // that request's correlation id.
                Activity.Current = null;
                using var span = PortalTelemetry.StartActivity("email.send", ActivityKind.Producer, ParentOf(message.TraceParent))
                    .SetTag("portal.outbox.message_id", message.Id.ToString())
                    .SetTag("portal.user_id", message.UserId);
                if (!message.CodeStillValid || message.ExpiresAt is not { } expiresAt || expiresAt <= now || message.ProtectedPayload is null)
                {
                    await MarkSupersededAsync(message);
                    continue;
                }

                try
                {
                    var code = _protector.Unprotect(message.ProtectedPayload);
                    var mime = composer.Compose(message.ToAddress, message.OrganizationName, message.OrgId, code, expiresAt);

                    // Once started, a send is finished even when the host is stopping: nothing is half sent.
                    session ??= await transport.OpenAsync(CancellationToken.None);
                    await session.SendAsync(mime, CancellationToken.None);
                }
                catch (Exception ex)
                {
                    // The exception's type only: a server's refusal text may quote the recipient's address.
                    logger.LogWarning("Delivery of message {MessageId} to user {UserId} failed (attempt {Attempt}): {ErrorType}", message.Id, message.UserId, message.Attempts + 1, ex.GetType().Name);
                    span.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
                    if (session is not null)
                    {
                        await session.DisposeAsync();
                        session = null;
                    }

                    var gaveUp = await MarkFailedAttemptAsync(message, ex, settings);
                    telemetry.DeliveryAttempt(sent: false, gaveUp);
                    continue;
                }

                await MarkSentAsync(message);
                telemetry.DeliveryAttempt(sent: true, gaveUp: false);
            }
        }
        finally
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }
        }

        return due.Count;
    }

    private Task<bool> MarkSentAsync(DueMessage message) => writes.ExecuteAsync(async db =>
    {
        var at = time.GetUtcNow();
        await db.OutboxMessages.Where(m => m.Id == message.Id).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Status, OutboxStatus.Sent)
            .SetProperty(m => m.SentAt, at)
            .SetProperty(m => m.LastAttemptAt, at)
            .SetProperty(m => m.Attempts, message.Attempts + 1)
            .SetProperty(m => m.ProtectedPayload, (string?)null));
        db.Audit(at, message.OrgId, AuditActions.EmailDelivered, Dispatcher, message.UserId);
        return true;
    });

    private Task<bool> MarkSupersededAsync(DueMessage message) => writes.ExecuteAsync(async db =>
    {
        var at = time.GetUtcNow();
        await db.OutboxMessages.Where(m => m.Id == message.Id).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Status, OutboxStatus.Superseded)
            .SetProperty(m => m.ProtectedPayload, (string?)null));
        db.Audit(at, message.OrgId, AuditActions.EmailSuperseded, Dispatcher, message.UserId, "code replaced, used or expired before sending");
        return true;
    });

    private Task<bool> MarkFailedAttemptAsync(DueMessage message, Exception error, EmailOptions settings) => writes.ExecuteAsync(async db =>
    {
        var at = time.GetUtcNow();
        var attempts = message.Attempts + 1;
        var givingUp = attempts >= settings.MaxAttempts;
        var text = $"{error.GetType().Name}: {error.Message}";
        var lastError = text.Length > 500 ? text[..500] : text;
        await db.OutboxMessages.Where(m => m.Id == message.Id).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Attempts, attempts)
            .SetProperty(m => m.LastAttemptAt, at)
            .SetProperty(m => m.LastError, lastError)
            .SetProperty(m => m.NextAttemptAt, at + settings.RetryDelay(attempts))
            .SetProperty(m => m.Status, givingUp ? OutboxStatus.Failed : OutboxStatus.Pending)
            .SetProperty(m => m.ProtectedPayload, givingUp ? null : message.ProtectedPayload));
        if (givingUp)
        {
            db.Audit(at, message.OrgId, AuditActions.EmailFailed, Dispatcher, message.UserId, $"gave up after {attempts} attempts");
        }

        return givingUp;
    });

    private static ActivityContext ParentOf(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var parent) ? parent : default;

    private sealed record DueMessage(
        Guid Id,
        string OrgId,
        string UserId,
        string ToAddress,
        string? ProtectedPayload,
        int Attempts,
        string? TraceParent,
        string OrganizationName,
        DateTimeOffset? ExpiresAt,
        bool CodeStillValid);
}

/// <summary>When the dispatcher last went round its loop, for <c>/healthz</c>.</summary>
public sealed class DispatcherHeartbeat
{
    private long _lastBeatTicks;

    public DateTimeOffset? LastBeat => Interlocked.Read(ref _lastBeatTicks) is var t && t == 0 ? null : new DateTimeOffset(t, TimeSpan.Zero);

    public void Beat(DateTimeOffset at) => Interlocked.Exchange(ref _lastBeatTicks, at.UtcTicks);
}

public sealed class DispatcherHealthCheck(DispatcherHeartbeat heartbeat, TimeProvider time, IOptionsMonitor<EmailOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.CurrentValue;
        if (!settings.DispatcherEnabled)
        {
            return Task.FromResult(HealthCheckResult.Healthy("disabled by configuration"));
        }

        // A pass may legitimately take a while (a slow SMTP server); only a long silence is unhealthy.
        var limit = settings.PollInterval * 3 + (settings.Smtp.Timeout * settings.BatchSize);
        return Task.FromResult(heartbeat.LastBeat is { } last && time.GetUtcNow() - last <= limit
            ? HealthCheckResult.Healthy("running")
            : HealthCheckResult.Unhealthy("not running"));
    }
}
