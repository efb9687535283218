using Microsoft.AspNetCore.CookiePolicy;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.HttpsPolicy;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Operations;

/// <summary>The <c>ForwardedHeaders</c> section: which reverse proxy may tell the host the client's address and scheme.</summary>
public sealed class ForwardedHeadersSettings : ICheckedOptions<ForwardedHeadersSettings>, System.ComponentModel.DataAnnotations.IValidatableObject
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Read <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> from the proxies below (loopback when none are listed).</summary>
    public bool Enabled { get; set; }

    /// <summary>Addresses of the proxies to trust, e.g. <c>10.0.0.5</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks of the proxies to trust, e.g. <c>10.0.0.0/24</c>.</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>How many proxies in a chain to read back through.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    static IValidateOptions<ForwardedHeadersSettings> ICheckedOptions<ForwardedHeadersSettings>.Validator { get; } = new ForwardedHeadersSettingsValidator();

    public IEnumerable<System.ComponentModel.DataAnnotations.ValidationResult> Validate(System.ComponentModel.DataAnnotations.ValidationContext validationContext)
    {
        for (var i = 0; i < KnownProxies.Length; i++)
        {
            if (!NetworkSettings.TryParseAddress(KnownProxies[i], out _))
            {
                yield return new($"'{KnownProxies[i]}' is not an IP address", [$"{nameof(KnownProxies)}:{i}"]);
            }
        }

        for (var i = 0; i < KnownNetworks.Length; i++)
        {
            if (!NetworkSettings.TryParseNetwork(KnownNetworks[i], out _))
            {
                yield return new($"'{KnownNetworks[i]}' is not a network in CIDR form (e.g. 10.0.0.0/24)", [$"{nameof(KnownNetworks)}:{i}"]);
            }
        }
    }
}

[OptionsValidator]
internal sealed partial class ForwardedHeadersSettingsValidator : IValidateOptions<ForwardedHeadersSettings>;

/// <summary>
/// Security headers on every answer (pages, API, static files, errors), the cookie rules, and forwarded headers from
/// a trusted proxy. Headers are added when the response starts, so an error handler that clears the response
/// (the <c>/auth</c> error body does) cannot drop them.
/// </summary>
public static class SecurityHeaders
{

    /// <summary>
    /// Pages: scripts only from this host, plus the inline import map Blazor writes, admitted by a per-request nonce;
    /// no <c>unsafe-eval</c>. Styles need <c>unsafe-inline</c>: MudBlazor writes its theme as a style element and
    /// Blazor sets <c>style</c> attributes through the DOM, neither of which can carry a nonce.
    /// </summary>
    private const string PagePolicyBeforeNonce = "default-src 'self'; script-src 'self' 'nonce-";

    private const string PagePolicyAfterNonce =
        "'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Everything that is not a page (JSON, scripts, stylesheets, images): nothing may run or be framed.</summary>
    private const string ResourcePolicy = "default-src 'none'; frame-ancestors 'none'";

    public static IHostApplicationBuilder AddPortalSecurity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCheckedOptions<ForwardedHeadersSettings>(ForwardedHeadersSettings.Section);
        var forwarded = ConfigurationCheck.Read<ForwardedHeadersSettings>(builder.Configuration, ForwardedHeadersSettings.Section);
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = forwarded.ForwardLimit;
            foreach (var proxy in forwarded.KnownProxies)
            {
                _ = NetworkSettings.TryParseAddress(proxy, out var address);
                o.KnownProxies.Add(address!);
            }

            foreach (var network in forwarded.KnownNetworks)
            {
                _ = NetworkSettings.TryParseNetwork(network, out var parsed);
                o.KnownIPNetworks.Add(parsed);
            }
        });

        // The browser always speaks HTTPS to a host whose public address is HTTPS, whatever a proxy behind it speaks,
        // so such a host marks every cookie Secure; on plain HTTP (development) cookies follow the request.
        var httpsPublic = Uri.TryCreate(builder.Configuration["Portal:PublicBaseUrl"], UriKind.Absolute, out var publicUrl) && publicUrl.Scheme == Uri.UriSchemeHttps;
        builder.Services.Configure<CookiePolicyOptions>(o =>
        {
            o.HttpOnly = HttpOnlyPolicy.Always;
            o.Secure = httpsPublic ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            o.MinimumSameSitePolicy = SameSiteMode.Lax;
        });
        builder.Services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = false;
        });
        return builder;
    }

    /// <summary>First in the pipeline: forwarded headers (when enabled), then the headers, then the cookie rules.</summary>
    public static WebApplication UsePortalSecurity(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool>($"{ForwardedHeadersSettings.Section}:Enabled"))
        {
            app.UseForwardedHeaders();
        }

        var hsts = app.Services.GetRequiredService<IOptions<HstsOptions>>().Value;
        var hstsValue = $"max-age={(long)hsts.MaxAge.TotalSeconds}" + (hsts.IncludeSubDomains ? "; includeSubDomains" : "") + (hsts.Preload ? "; preload" : "");
        var useHsts = !app.Environment.IsDevelopment();
        var development = app.Environment.IsDevelopment();
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                Apply(context, useHsts && context.Request.IsHttps && !IsExcluded(context.Request.Host.Host, hsts), hstsValue, development);
                return Task.CompletedTask;
            });
            return next(context);
        });
        app.UseCookiePolicy();
        return app;
    }

    /// <summary>This request's script nonce, made on first use (a page asks for it while rendering its head).</summary>
    public static string Nonce(HttpContext context) => CspNonce.Of(context);

    private static void Apply(HttpContext context, bool hsts, string hstsValue, bool development)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
        if (hsts)
        {
            headers.StrictTransportSecurity = hstsValue;
        }

        var isPage = context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true;

        // The development API browser (Scalar) runs inline scripts of its own; it exists in Development only.
        if (development && context.Request.Path.StartsWithSegments("/api-docs", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        headers.ContentSecurityPolicy = isPage ? PagePolicyBeforeNonce + Nonce(context) + PagePolicyAfterNonce : ResourcePolicy;
    }

    private static bool IsExcluded(string host, HstsOptions options) =>
        options.ExcludedHosts.Any(h => string.Equals(h, host, StringComparison.OrdinalIgnoreCase));
}
