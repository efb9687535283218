using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Branding;

public static class BrandingSetup
{
    public static IHostApplicationBuilder AddBranding(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCheckedOptions<BrandingOptions>(BrandingOptions.Section);
        builder.Services.AddSingleton<BrandingCache>();
        builder.Services.AddSingleton<BrandingService>();
        builder.Services.AddHostedService<BrandingRefresher>();
        return builder;
    }
}
