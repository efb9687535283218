using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Email;

public static class EmailSetup
{
    public static IHostApplicationBuilder AddEmail(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCheckedOptions<EmailOptions>(EmailOptions.Section);
        builder.Services.AddCheckedOptions<PortalOptions>(PortalOptions.Section);

        // A stopping host finishes the message in hand: give it time for a connect and a send at the SMTP timeout.
        // Read leniently: a wrong value is the configuration check's to report, with its key, not this one's to throw.
        builder.Services.AddOptions<HostOptions>().Configure<IConfiguration>((host, configuration) =>
        {
            var timeout = TimeSpan.TryParse(configuration[$"{EmailOptions.Section}:Smtp:Timeout"], System.Globalization.CultureInfo.InvariantCulture, out var configured) && configured > TimeSpan.Zero && configured <= TimeSpan.FromMinutes(10)
                ? configured
                : new SmtpOptions().Timeout;
            var needed = (timeout * 2) + TimeSpan.FromSeconds(5);
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });

        builder.Services.AddSingleton<EmailSignal>();
        builder.Services.AddSingleton(sp => new RequestLoad(sp.GetRequiredService<TimeProvider>())
        {
            BusyAt = sp.GetRequiredService<IOptions<EmailOptions>>().Value.BusyRequests,
        });
        builder.Services.AddSingleton<DispatcherHeartbeat>();
        builder.Services.AddLocalization();
        builder.Services.AddSingleton<RegistrationEmail>();
        builder.Services.AddSingleton<Branding.ISampleEmails, SampleEmails>();
        builder.Services.AddSingleton<AccountEmail>();
        builder.Services.AddSingleton<AccountEmailQueue>();
        builder.Services.AddSingleton<IAdminEmails, AdminInvitations>();
        builder.Services.AddSingleton<SmtpEmailTransport>();
        builder.Services.AddSingleton<PickupDirectoryEmailTransport>();
        builder.Services.AddSingleton<DevelopmentMailbox>();
        builder.Services.AddSingleton<IEmailTransport>(sp =>
            string.IsNullOrWhiteSpace(sp.GetRequiredService<IOptions<EmailOptions>>().Value.Smtp.Host)
                ? sp.GetRequiredService<PickupDirectoryEmailTransport>()
                : sp.GetRequiredService<SmtpEmailTransport>());
        builder.Services.AddSingleton<OutboxDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        builder.Services.AddHealthChecks().AddCheck<DispatcherHealthCheck>("dispatcher");
        return builder;
    }
}
