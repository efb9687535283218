using System.Security.Cryptography;
using System.Text;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Operations;

public static class TelemetrySetup
{
    /// <summary>MailKit's own instruments (one span per SMTP command group, connection metrics).</summary>
    private const string MailKitSmtpSource = "MailKit.Net.SmtpClient";
    private const string MailKitSmtpMeter = "mailkit.net.smtp";

    /// <summary>
    /// The portal's meter and spans, exported through OpenTelemetry: Prometheus at <c>/metrics</c> when
    /// <c>Telemetry:Prometheus</c> is on, OTLP (metrics, traces, logs) when an endpoint is configured.
    /// </summary>
    public static IHostApplicationBuilder AddPortalTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCheckedOptions<TelemetryOptions>(TelemetryOptions.Section);
        builder.Services.AddSingleton<PortalTelemetry>();
        builder.Services.AddSingleton<OutboxBacklog>();
        builder.Services.AddHostedService<BacklogGauges>();
        builder.Services.AddHostedService<NativeMemoryTrim>();

        var settings = ConfigurationCheck.Read<TelemetryOptions>(builder.Configuration, TelemetryOptions.Section);
        var otlp = !string.IsNullOrWhiteSpace(settings.OtlpEndpoint)
            || !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!settings.Prometheus && !otlp)
        {
            return builder;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(settings.ServiceName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(PortalTelemetry.Name, MailKitSmtpMeter)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (settings.Prometheus)
                {
                    // Every scrape reads the instruments afresh (the exporter would otherwise answer from a copy for 300 ms);
                    // the backlog gauges keep their own cache.
                    metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter(o => Configure(o, settings, "metrics"));
                }
            });

        if (otlp)
        {
            MailKit.Telemetry.SmtpClient.Configure();
            telemetry
                .WithTracing(tracing => tracing
                    .AddSource(PortalTelemetry.Name, MailKitSmtpSource)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddOtlpExporter(o => Configure(o, settings, "traces")))
                .WithLogging(logging => logging.AddOtlpExporter(o => Configure(o, settings, "logs")));
        }

        return builder;
    }

    /// <summary>
    /// <c>GET /metrics</c> when Prometheus is on, for a scraper that sends <c>Telemetry:MetricsToken</c> as a bearer token
    /// (anyone else gets 401 and no figures); otherwise the path stays unmapped (the pages' 404).
    /// </summary>
    public static IEndpointRouteBuilder MapPortalMetrics(this WebApplication app)
    {
        var settings = ConfigurationCheck.Read<TelemetryOptions>(app.Configuration, TelemetryOptions.Section);
        if (settings.Prometheus)
        {
            // The options check refuses Prometheus without a token, so there always is one here.
            var expected = SHA256.HashData(Encoding.UTF8.GetBytes(settings.MetricsToken!.Trim()));
            app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: branch => branch.Use(next => context =>
            {
                if (HasToken(context.Request, expected))
                {
                    return next(context);
                }

                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return Task.CompletedTask;
            }), optionsName: null);
        }

        return app;
    }

    /// <summary>Whether the request carries the token; compared as hashes in constant time, so neither its content nor its length leaks through timing.</summary>
    private static bool HasToken(HttpRequest request, byte[] expectedHash)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, expectedHash);
    }

    private static void Configure(OtlpExporterOptions exporter, TelemetryOptions settings, string signal)
    {
        exporter.Protocol = settings.OtlpProtocol == OtlpTransport.HttpProtobuf ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        if (!string.IsNullOrWhiteSpace(settings.OtlpEndpoint))
        {
            // A per-signal exporter given an address in code takes it as is: over HTTP it needs the signal's path.
            var root = settings.OtlpEndpoint.TrimEnd('/');
            exporter.Endpoint = new Uri(settings.OtlpProtocol == OtlpTransport.HttpProtobuf ? $"{root}/v1/{signal}" : root);
        }
    }
}

/// <summary>Registers the outbox backlog gauges (they read the database when observed) and the senders yielding, once the host runs.</summary>
internal sealed class BacklogGauges(PortalTelemetry telemetry, OutboxBacklog backlog, OutboxDispatcher dispatcher) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        telemetry.Meter.CreateObservableGauge("portal.outbox.backlog", () => backlog.Read().Pending, "{message}", "Messages waiting to be sent.");
        telemetry.Meter.CreateObservableGauge("portal.outbox.oldest_pending_age", () => backlog.Read().OldestPendingAge.TotalSeconds, "s", "How long the oldest unsent message has waited.");
        telemetry.Meter.CreateObservableGauge("portal.email.senders_yielding", () => dispatcher.Yielding, "{sender}", "Mail senders waiting while the host is busy with requests (Email:SendersUnderLoad).");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
