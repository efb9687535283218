using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Api;

/// <summary>What every public <c>/auth</c> call shares: CORS for browser clients, the per-address limiter, the error shape.</summary>
public static class ApiSetup
{
    public const string CorsPolicy = "dfns-clients";
    public const string PerAddressPolicy = "per-client-address";

    public static IHostApplicationBuilder AddPublicApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCheckedOptions<ApiOptions>(ApiOptions.Section);
        builder.Services.AddExceptionHandler<DfnsExceptionHandler>();

        var origins = ConfigurationCheck.Read<ApiOptions>(builder.Configuration, ApiOptions.Section).AllowedOrigins;
        builder.Services.AddCors(o => o.AddPolicy(CorsPolicy, p => p
            .WithOrigins(origins)
            .WithMethods("PUT", "POST")
            .WithHeaders("content-type", "authorization", "x-dfns-appid", "x-dfns-nonce", "x-dfns-sdk-version")
            .WithExposedHeaders("Retry-After")));

        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(PerAddressPolicy, context =>
            {
                var limits = context.RequestServices.GetRequiredService<IOptionsMonitor<ApiOptions>>().CurrentValue.RateLimit;
                var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return RateLimitPartition.GetSlidingWindowLimiter(address, _ => new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = limits.PermitLimit,
                    Window = limits.Window,
                    SegmentsPerWindow = 6,
                    QueueLimit = 0,
                });
            });
            o.OnRejected = async (context, ct) =>
            {
                context.HttpContext.RequestServices.GetRequiredService<PortalTelemetry>()
                    .ThrottleRejection("per_address", ActorKind.ApiApplication);
                // A sliding window's lease says nothing of when a permit frees: at the latest, once the whole window has
                // passed since the permits were taken.
                var window = context.HttpContext.RequestServices.GetRequiredService<IOptionsMonitor<ApiOptions>>().CurrentValue.RateLimit.Window;
                var seconds = Math.Max(1, (int)Math.Ceiling(window.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await DfnsErrors.WriteAsync(context.HttpContext.Response, StatusCodes.Status429TooManyRequests, $"Too many requests from this address. Retry after {seconds} seconds.");
            };
        });

        return builder;
    }

    /// <summary>
    /// The <c>/auth</c> route group with CORS, the per-address limiter and <see cref="DfnsCallFilter"/> on every endpoint:
    /// no <c>/auth</c> handler runs before its body, token and Dfns headers were checked.
    /// </summary>
    public static RouteGroupBuilder MapAuthGroup(this IEndpointRouteBuilder app, bool claimNonce)
    {
        var group = app.MapGroup("/auth")
            .RequireCors(CorsPolicy)
            .RequireRateLimiting(PerAddressPolicy)
            .WithTags("Registration");
        group.AddEndpointFilter(new DfnsCallFilter(claimNonce));

        // The filter may refuse any call with these, whatever the handler itself returns.
        ((IEndpointConventionBuilder)group).Add(endpoint => DfnsErrorResult.PopulateMetadata(null!, endpoint));
        return group;
    }

    /// <summary>Error shape and exception handling for everything under <c>/auth</c>, matched routes or not.</summary>
    public static IApplicationBuilder UseDfnsErrors(this IApplicationBuilder app) =>
        app.UseWhen(c => DfnsErrorMiddleware.IsUnderAuth(c.Request.Path), branch => branch.UseMiddleware<DfnsErrorMiddleware>());
}
