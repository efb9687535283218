using System.Collections.Concurrent;
using System.Diagnostics;
using RegistrationPortal.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Operations;

/// <summary>Tracing on (an OTLP endpoint is configured; nothing listens there, so exports just fail) and a real SMTP server.</summary>
public sealed class TracingPortalFixture : PortalFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Telemetry:OtlpEndpoint"] = "http://127.0.0.1:9",
    };
}

/// <summary>The resend path is one trace: HTTP request, service, database write, dispatcher, SMTP; its audit events carry its id.</summary>
public sealed class TracingTests(TracingPortalFixture fixture) : IClassFixture<TracingPortalFixture>, IDisposable
{
    private readonly ConcurrentBag<Activity> _spans = [];
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name is "RegistrationPortal" or "Microsoft.AspNetCore" or "MailKit.Net.SmtpClient",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task A_resend_is_one_trace_from_the_request_to_the_smtp_server_and_its_audit_events_carry_its_id()
    {
        _listener.ActivityStopped = _spans.Add;
        ActivitySource.AddActivityListener(_listener);
        var host = fixture.Factory;
        var (orgId, email, userId) = await host.CreatePendingUserAsync("trace");
        await fixture.Smtp.WaitForMessagesAsync(email);
        var traceId = ActivityTraceId.CreateRandom();
        using var client = host.CreateClient();

        using var request = DfnsApi.ResendRequest(orgId, email, ("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01"));
        await DfnsApi.AssertSuccessAsync(await client.SendAsync(request));
        await fixture.Smtp.WaitForMessagesAsync(email, 2);
        await Wait.WaitUntilAsync(() => Trace(traceId).Any(s => s.OperationName == "email.send"), "the delivery span has ended");

        var spans = Trace(traceId);
        var http = Assert.Single(spans, s => s.Source.Name == "Microsoft.AspNetCore");
        var resend = Assert.Single(spans, s => s.OperationName == "registration.resend");
        var write = Assert.Single(spans, s => s.OperationName == "db.write" && s.ParentSpanId == resend.SpanId);
        var send = Assert.Single(spans, s => s.OperationName == "email.send");
        Assert.Equal(http.SpanId, resend.ParentSpanId);

        // The request is recorded in the write under the resend; the code is issued moments later, and its email is
        // sent under the resend that asked for it.
        Assert.Equal(resend.SpanId, send.ParentSpanId);
        Assert.Equal("accepted", resend.GetTagItem("portal.outcome"));
        Assert.Equal("api", resend.GetTagItem("portal.door"));
        Assert.Equal(orgId, resend.GetTagItem("portal.org_id"));
        Assert.Contains(spans, s => s.Source.Name == "MailKit.Net.SmtpClient" && IsUnder(s, send, spans));

        // The delivery span names the outbox message it sent (the newer of the user's two) and the user, by id.
        var sent = (await host.OutboxAsync(userId)).MaxBy(m => m.CreatedAt)!;
        Assert.Equal(sent.Id.ToString(), send.GetTagItem("portal.outbox.message_id"));
        Assert.Equal(userId, send.GetTagItem("portal.user_id"));
        Assert.DoesNotContain(spans.SelectMany(s => s.TagObjects), t => t.Value?.ToString()?.Contains(email, StringComparison.OrdinalIgnoreCase) == true);

        var correlation = await host.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(a => a.SubjectId == userId && a.CorrelationId == traceId.ToHexString())
            .Select(a => a.Action)
            .ToListAsync());
        Assert.Contains(AuditActions.CodeSent, correlation);
        Assert.Contains(AuditActions.EmailDelivered, correlation);
    }

    /// <summary>An admin's resend (the portal's Resend button) is a span of its own too, with the door, the organization and the true outcome.</summary>
    [Fact]
    public async Task An_admins_resend_is_a_span_naming_the_door_the_organization_and_the_outcome()
    {
        _listener.ActivityStopped = _spans.Add;
        ActivitySource.AddActivityListener(_listener);
        var host = fixture.Factory;
        var (orgId, email, _) = await host.CreatePendingUserAsync("trace-admin");
        ActivityTraceId traceId;
        using (var caller = new Activity("test.admin-resend").Start())
        {
            traceId = caller.TraceId;
            var outcome = await host.Services.GetRequiredService<RegistrationService>().ResendAsync(orgId, email, Actor.Admin("trace-admin", "127.0.0.1"));
            Assert.Equal(ResendStatus.Sent, outcome.Status);
        }

        var resend = Assert.Single(Trace(traceId), s => s.OperationName == "registration.resend");
        Assert.Equal(("admin", orgId, "sent"), (resend.GetTagItem("portal.door") as string, resend.GetTagItem("portal.org_id") as string, resend.GetTagItem("portal.outcome") as string));
    }

    private List<Activity> Trace(ActivityTraceId traceId) => _spans.Where(s => s.TraceId == traceId).ToList();

    private static bool IsUnder(Activity span, Activity ancestor, List<Activity> spans)
    {
        for (var current = span; current is not null; current = spans.FirstOrDefault(s => s.SpanId == current.ParentSpanId))
        {
            if (current.ParentSpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }
}
