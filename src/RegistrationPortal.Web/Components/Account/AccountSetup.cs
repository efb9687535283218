using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Operations;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Components.Account;

public sealed class PortalIdentityOptions : ICheckedOptions<PortalIdentityOptions>
{
    public const string Section = "Identity";

    /// <summary>How often an open portal page and the sign-in cookie re-check the admin's security stamp.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Wrong second-factor codes (authenticator or recovery) before the account is locked. Wrong passwords never lock it.</summary>
    [Range(1, 100)]
    public int MaxFailedAccessAttempts { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-in form posts one client address may make per <see cref="SignInWindow"/>, right or wrong.</summary>
    [Range(1, 10_000_000)]
    public int SignInPermitLimit { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SignInWindow { get; set; } = TimeSpan.FromMinutes(5);

    static IValidateOptions<PortalIdentityOptions> ICheckedOptions<PortalIdentityOptions>.Validator { get; } = new PortalIdentityOptionsValidator();
}

[OptionsValidator]
internal sealed partial class PortalIdentityOptionsValidator : IValidateOptions<PortalIdentityOptions>;

public static class AccountSetup
{
    /// <summary>ASP.NET Core Identity for portal admins, on the portal's database, with the template's static account pages.</summary>
    public static IHostApplicationBuilder AddPortalIdentity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddCheckedOptions<PortalIdentityOptions>(PortalIdentityOptions.Section);
        var settings = ConfigurationCheck.Read<PortalIdentityOptions>(builder.Configuration, PortalIdentityOptions.Section);

        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddScoped<IdentityRedirectManager>();
        builder.Services.AddScoped<AccountAudit>();
        builder.Services.AddScoped<PortalSignIn>();
        builder.Services.AddSingleton<SignInLimiter>();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<IEmailSender<PortalUser>, OutboxEmailSender>();
        builder.Services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();

        builder.Services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();
        builder.Services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/Account/Login";
            o.AccessDeniedPath = "/Account/AccessDenied";
            o.Cookie.Name = "portal.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);

            // Every way in (password, second factor, passkey) ends in this cookie: when it is issued, the admin signed in
            // (or renewed their sign-in after changing the password or a passkey, which counts as well).
            o.Events.OnSignedIn = RecordSignInAsync;
        });
        builder.Services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = settings.RevalidationInterval);

        // Before Identity's own (registered only when none is): see PortalLookupNormalizer.
        builder.Services.AddSingleton<ILookupNormalizer, PortalLookupNormalizer>();
        builder.Services.AddIdentityCore<PortalUser>(options =>
            {
                options.SignIn.RequireConfirmedAccount = false;
                options.User.RequireUniqueEmail = true;
                options.Stores.SchemaVersion = IdentitySchemaVersions.Version3;

                // Length over composition (NIST SP 800-63B): 12 characters, no forced symbol classes.
                options.Password.RequiredLength = 12;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequiredUniqueChars = 4;

                // Lockout serves the operator's `admin disable` and wrong second-factor codes; the login page signs in
                // with lockoutOnFailure: false (see PortalSignIn), so a stranger's wrong passwords cannot lock an admin out.
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = settings.MaxFailedAccessAttempts;
                options.Lockout.DefaultLockoutTimeSpan = settings.LockoutDuration;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddClaimsPrincipalFactory<PortalClaimsPrincipalFactory>();

        // Every page sends `Referrer-Policy: no-referrer`, so the browser's form posts carry `Origin: null`, and Identity's
        // default check (the passkey's origin must equal the request's Origin header) refused every passkey. The origin
        // a passkey was made or used on must instead be where admins reach this host (PasskeyOrigins).
        var publicOrigin = PasskeyOrigins.OriginOf(builder.Configuration["Portal:PublicBaseUrl"]);
        builder.Services.Configure<IdentityPasskeyOptions>(o => o.ValidateOrigin = context => ValueTask.FromResult(PasskeyOrigins.IsValid(context, publicOrigin)));

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(PortalPolicies.Admin, p => p.RequireRole(PortalRoles.OrgAdmin, PortalRoles.PlatformAdmin))
            .AddPolicy(PortalPolicies.PlatformAdmin, p => p.RequireRole(PortalRoles.PlatformAdmin));

        return builder;
    }

    /// <summary>Keeps when the admin signed in, for the Admins page. A failure to keep it is logged and never keeps the admin out.</summary>
    private static async Task RecordSignInAsync(CookieSignedInContext context)
    {
        if (context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier) is not { } adminId)
        {
            return;
        }

        var services = context.HttpContext.RequestServices;
        try
        {
            await AdminActivity.RecordAsync(services.GetRequiredService<WriteQueue>(), adminId, AdminActivity.LastSignInAt, services.GetRequiredService<TimeProvider>().GetUtcNow());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            services.GetRequiredService<ILogger<PortalSignIn>>().LogWarning(ex, "The sign-in time of admin {AdminId} was not recorded.", adminId);
        }
    }
}

public static class PortalPolicies
{
    public const string Admin = "portal-admin";
    public const string PlatformAdmin = "platform-admin";
}

/// <summary>Puts the admin's organization in the sign-in cookie, so pages and services scope by it without a lookup.</summary>
internal sealed class PortalClaimsPrincipalFactory(
    UserManager<PortalUser> userManager,
    RoleManager<IdentityRole> roleManager,
    IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<PortalUser, IdentityRole>(userManager, roleManager, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PortalUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.OrgId is not null)
        {
            identity.AddClaim(new Claim(PortalRoles.OrgClaim, user.OrgId));
        }

        return identity;
    }
}
