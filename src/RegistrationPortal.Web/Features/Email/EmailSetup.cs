using Microsoft.Extensions.Options;

namespace RegistrationPortal.Web.Features.Email;

public static class EmailSetup
{
    public static IHostApplicationBuilder AddEmail(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<PortalOptions>().BindConfiguration(PortalOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<EmailSignal>();
        builder.Services.AddSingleton<DispatcherHeartbeat>();
        builder.Services.AddSingleton<RegistrationEmail>();
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
