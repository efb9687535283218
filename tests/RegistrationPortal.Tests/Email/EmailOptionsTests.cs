using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.Tests.Email;

public sealed class EmailOptionsTests
{
    [Fact]
    public void Retry_delays_double_and_stop_at_the_maximum()
    {
        var options = new EmailOptions { RetryBaseDelay = TimeSpan.FromSeconds(10), RetryMaxDelay = TimeSpan.FromMinutes(1) };
        Assert.Equal(TimeSpan.FromSeconds(10), options.RetryDelay(1));
        Assert.Equal(TimeSpan.FromSeconds(20), options.RetryDelay(2));
        Assert.Equal(TimeSpan.FromSeconds(40), options.RetryDelay(3));
        Assert.Equal(TimeSpan.FromMinutes(1), options.RetryDelay(4));
        Assert.Equal(TimeSpan.FromMinutes(1), options.RetryDelay(60));
    }
}
