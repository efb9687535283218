namespace RegistrationPortal.Web.Features.Users;

public static class UsersSetup
{
    public static IHostApplicationBuilder AddOrgUsers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OrgUserAdminService>();
        builder.Services.AddSingleton<OrgUserDetailService>();
        builder.Services.AddSingleton<UserLifecycleService>();
        builder.Services.AddSingleton<OrgUserInviteService>();
        builder.Services.AddSingleton<UserLanguageService>();
        builder.Services.AddSingleton<BulkResendService>();
        builder.Services.AddSingleton<BulkResendJobs>();
        builder.Services.AddSingleton<Shared.BackgroundJobs>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Shared.BackgroundJobs>());
        return builder;
    }
}
