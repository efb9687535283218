using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// The settings files are read again when they change (ASP.NET Core's default). A value saved there that is not valid
/// (a typo while the hosts run) must not stop the host: every host reading the file would go down at once. The host
/// keeps the values it had, says which setting is wrong, and takes the next valid change.
/// </summary>
public sealed class ConfigurationReloadTests
{
    [Fact]
    public async Task A_setting_changed_to_a_value_that_is_not_valid_is_refused_with_its_key_logged_and_the_host_keeps_sending_with_the_values_it_had()
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        var log = new ErrorLog();
        await using var factory = new PortalFactory(smtp, services: s => s.AddSingleton<ILoggerProvider>(log));
        var (orgId, email, _) = await factory.CreatePendingUserAsync("reload");
        await smtp.WaitForMessagesAsync(email);
        var configuration = (IConfigurationRoot)factory.Services.GetRequiredService<IConfiguration>();
        var before = factory.Services.GetRequiredService<IOptionsMonitor<EmailOptions>>().CurrentValue;

        configuration["Email:Senders"] = "0";
        configuration["Email:BatchSize"] = "0";
        configuration.Reload();

        Assert.Equal("0", configuration["Email:Senders"]);
        var refused = Assert.Single(log.Entries);
        Assert.StartsWith("Error RegistrationPortal.Web.Shared.LastValidOptions: Configuration error: Email:", refused, StringComparison.Ordinal);
        Assert.Contains("Email:Senders", refused, StringComparison.Ordinal);
        Assert.Contains("Email:BatchSize", refused, StringComparison.Ordinal);
        Assert.Contains("the host keeps the Email settings it had", refused, StringComparison.Ordinal);
        var kept = factory.Services.GetRequiredService<IOptionsMonitor<EmailOptions>>().CurrentValue;
        Assert.Equal((before.Senders, before.BatchSize), (kept.Senders, kept.BatchSize));

        // Still serving and still sending: a resend's email arrives.
        var registration = factory.Services.GetRequiredService<RegistrationService>();
        Assert.Equal(ResendStatus.Sent, (await registration.ResendAsync(orgId, email, Actor.Admin("reload-admin", "127.0.0.1"))).Status);
        Assert.Equal(2, (await smtp.WaitForMessagesAsync(email, 2)).Count);
        Assert.False(factory.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);

        // The next valid change is taken.
        configuration["Email:Senders"] = "3";
        configuration["Email:BatchSize"] = "7";
        configuration.Reload();
        var changed = factory.Services.GetRequiredService<IOptionsMonitor<EmailOptions>>().CurrentValue;
        Assert.Equal((3, 7), (changed.Senders, changed.BatchSize));
        Assert.Single(log.Entries);
    }
}
