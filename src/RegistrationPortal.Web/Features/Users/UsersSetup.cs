namespace RegistrationPortal.Web.Features.Users;

public static class UsersSetup
{
    public static IHostApplicationBuilder AddOrgUsers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OrgUserAdminService>();
        return builder;
    }
}
