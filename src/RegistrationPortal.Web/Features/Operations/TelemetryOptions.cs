using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Operations;

public enum OtlpTransport
{
    Grpc,
    HttpProtobuf,
}

public sealed class TelemetryOptions : ICheckedOptions<TelemetryOptions>, IValidatableObject
{
    public const string Section = "Telemetry";

    /// <summary>Serve the Prometheus text format at <c>/metrics</c>. Off: that path is an ordinary 404.</summary>
    public bool Prometheus { get; set; }

    /// <summary>
    /// The bearer token a scraper must send (<c>Authorization: Bearer …</c>) to read <c>/metrics</c>: the figures carry
    /// every resend's true outcome, which the public doors keep to themselves. Required with <see cref="Prometheus"/>.
    /// </summary>
    public string? MetricsToken { get; set; }

    public const int MinimumMetricsTokenLength = 32;

    /// <summary>
    /// OTLP collector address (e.g. <c>http://otel-collector:4317</c>); metrics, traces and logs are exported there.
    /// Empty: the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable decides, and without it nothing is exported.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    public OtlpTransport OtlpProtocol { get; set; } = OtlpTransport.Grpc;

    /// <summary>The <c>service.name</c> resource attribute.</summary>
    [Required]
    [MaxLength(100)]
    public string ServiceName { get; set; } = "registration-portal";

    /// <summary>How long the outbox backlog figures are reused between scrapes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan BacklogCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    static IValidateOptions<TelemetryOptions> ICheckedOptions<TelemetryOptions>.Validator { get; } = new TelemetryOptionsValidator();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Prometheus && (string.IsNullOrWhiteSpace(MetricsToken) || MetricsToken.Trim().Length < MinimumMetricsTokenLength))
        {
            yield return new ValidationResult(
                $"is required when Telemetry:Prometheus is on: a random secret of at least {MinimumMetricsTokenLength} characters, which the scraper sends as Authorization: Bearer <token>",
                [nameof(MetricsToken)]);
        }

        if (!string.IsNullOrWhiteSpace(OtlpEndpoint)
            && !(Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult("must be an http or https address, e.g. http://otel-collector:4317", [nameof(OtlpEndpoint)]);
        }
    }
}

[OptionsValidator]
internal sealed partial class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>;
