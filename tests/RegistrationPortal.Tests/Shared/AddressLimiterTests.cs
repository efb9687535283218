using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Features.ServiceAccounts;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Shared;

/// <summary>The one sliding-window limiter the sign-in form, the self-service page and the users API share.</summary>
public sealed class AddressLimiterTests
{
    [Fact]
    public void Each_key_has_its_own_window_and_a_refusal_with_limits_from_the_settings_waits_the_window()
    {
        using var limiter = new Limiter(() => (1, TimeSpan.FromMinutes(2)));

        Assert.Null(limiter.TryAcquire("sa-one"));
        Assert.Null(limiter.TryAcquire("sa-two"));

        Assert.Equal(TimeSpan.FromMinutes(2), limiter.TryAcquire("sa-one"));
        Assert.Equal(1, limiter.Rejections);
    }

    [Fact]
    public void An_unknown_address_counts_as_one_key()
    {
        using var limiter = new Limiter(() => (1, TimeSpan.FromMinutes(1)));

        Assert.Null(limiter.TryAcquire(null));
        Assert.NotNull(limiter.TryAcquire(null));
    }

    [Fact]
    public void A_service_accounts_limit_is_read_from_the_settings_when_the_account_starts_counting()
    {
        var services = new ServiceCollection().Configure<ServiceAccountOptions>(o => o.RateLimit.PermitLimit = 1).BuildServiceProvider();
        var options = services.GetRequiredService<IOptionsMonitor<ServiceAccountOptions>>();
        using var limiter = new ServiceAccountLimiter(options);

        Assert.Null(limiter.TryAcquire("sa-first"));
        Assert.NotNull(limiter.TryAcquire("sa-first"));

        // A changed setting (the options monitor's value is what a reload would change) reaches the accounts that start after it.
        options.CurrentValue.RateLimit.PermitLimit = 3;
        Assert.Null(limiter.TryAcquire("sa-second"));
        Assert.Null(limiter.TryAcquire("sa-second"));
        Assert.Null(limiter.TryAcquire("sa-second"));
        Assert.NotNull(limiter.TryAcquire("sa-second"));
        Assert.NotNull(limiter.TryAcquire("sa-first"));
    }

    private sealed class Limiter(Func<(int PermitLimit, TimeSpan Window)> limits) : AddressLimiter(limits, segmentsPerWindow: 6)
    {
        public int Rejections { get; private set; }

        protected override void OnRejected() => Rejections++;
    }
}
