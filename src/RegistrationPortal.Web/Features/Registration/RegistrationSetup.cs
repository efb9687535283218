using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

public static class RegistrationSetup
{
    public static IHostApplicationBuilder AddRegistration(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCheckedOptions<RegistrationOptions>(RegistrationOptions.Section);
        builder.Services.AddSingleton<ServerKeys>();
        builder.Services.AddSingleton<CodeHasher>();
        builder.Services.AddSingleton<RegistrationService>();
        builder.Services.AddSingleton<IOutboxCodes, OutboxCodes>();
        builder.Services.AddSingleton<PublicRequestSignal>();
        builder.Services.AddHostedService<PublicRequestProcessor>();
        builder.Services.AddSingleton<SelfServiceLimiter>();
        builder.Services.AddSingleton<SelfServiceResendDoor>();
        builder.Services.AddSingleton<RegistrationCompletionService>();
        builder.Services.AddHostedService<UsedNoncePruner>();
        return builder;
    }

    /// <summary>
    /// Loads the code-hashing and token-signing keys and Data Protection's key ring before the host serves, so neither is first
    /// created while a request waits.
    /// </summary>
    public static void WarmUpRegistrationKeys(this IServiceProvider services)
    {
        var keys = services.GetRequiredService<ServerKeys>();
        _ = keys.CodeHashKey;
        _ = keys.TokenSigningKey;
        _ = services.GetRequiredService<IDataProtectionProvider>()
            .CreateProtector(Email.OutboxPayload.Purpose).Protect("warm-up");
    }
}

/// <summary>Forgets used nonces once their date is outside the window, so the replay store stays bounded.</summary>
public sealed class UsedNoncePruner(WriteQueue writes, TimeProvider time, IOptionsMonitor<ApiOptions> options, ILogger<UsedNoncePruner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(5).Ticks, options.CurrentValue.NonceWindow.Ticks / 2)), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await PruneAsync();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Pruning used nonces failed; trying again later");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public Task<int> PruneAsync()
    {
        var now = time.GetUtcNow();
        return writes.ExecuteAsync(db => db.UsedNonces.Where(n => n.ExpiresAt < now).ExecuteDeleteAsync());
    }
}
