using MudBlazor.Services;
using RegistrationPortal.Web.Cli;
using RegistrationPortal.Web.Components;
using RegistrationPortal.Web.Components.Account;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Branding;
using RegistrationPortal.Web.Features.Dashboard;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Operations;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.ServiceAccounts;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;
using Scalar.AspNetCore;

namespace RegistrationPortal.Web;

/// <summary>
/// The composition of the one executable: its services (each feature registers its own), then either an operator verb
/// on them or the web host with its pipeline and endpoints. <c>Program.cs</c> only chooses between the two.
/// </summary>
internal static class PortalHost
{
    /// <summary>Every feature's services; for a verb, logging on standard error and no background sending.</summary>
    public static WebApplication Build(string[] args, bool isCommand)
    {
        var builder = WebApplication.CreateBuilder(isCommand ? [] : args);
        builder.AddBuildOutputSettings();
        if (isCommand)
        {
            // Standard output carries only the new id.
            builder.Logging.ClearProviders();
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Configuration[$"{EmailOptions.Section}:DispatcherEnabled"] = "false";
            builder.Configuration[$"{RetentionOptions.Section}:Enabled"] = "false";
        }

        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddPortalData();
        builder.AddPortalTelemetry();
        builder.AddPortalSecurity();
        builder.AddOrganizations();
        builder.AddRegistration();
        builder.AddEmail();
        builder.AddBranding();
        builder.AddRetention();
        builder.AddPublicApi();
        builder.AddOrgUsers();
        builder.AddAuditLog();
        builder.AddDashboard();
        builder.AddServiceAccounts();
        builder.AddPortalIdentity();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        // Toasts at the bottom: at the top they cover the app bar and the filters an admin is about to use.
        builder.Services.AddMudServices(o => o.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight);
        builder.Services.AddSingleton<DatabaseHealthCheck>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(o =>
        {
            o.ShouldInclude = d => d.RelativePath?.StartsWith("auth/", StringComparison.Ordinal) == true;
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "RegistrationPortal public API";
                document.Info.Description = "Dfns-compatible registration calls, and the users API for service accounts. Every error is {\"error\":{\"message\":\"...\"}}.";
                return Task.CompletedTask;
            });
        });

        return builder.Build();
    }

    /// <summary>Runs the operator verb named by <paramref name="args"/>; its exit code.</summary>
    public static async Task<int> RunCommandAsync(WebApplication app, string[] args)
    {
        int exitCode;
        try
        {
            exitCode = await OperatorCli.RunAsync(args, app.Services, Console.Out, Console.Error, Console.In);
        }
        catch (ConfigurationException ex)
        {
            // A setting found wrong only against the database (a key-encryption certificate that does not open its keys).
            await Console.Error.WriteLineAsync(ex.Message);
            exitCode = ConfigurationCheck.ExitCode;
        }

        return exitCode;
    }

    /// <summary>Prepares the database, then serves until stopped; the process's exit code.</summary>
    public static async Task<int> ServeAsync(WebApplication app)
    {
        // Held while the host runs, so `db restore` cannot replace the file under it.
        var database = app.Services.GetRequiredService<PortalDatabase>();
        if (database.TryLock(exclusive: false) is not { } databaseLock)
        {
            await Console.Error.WriteLineAsync($"The database {database.FilePath} is being restored; start the host when the restore has finished.");
            return ConfigurationCheck.ExitCode;
        }

        app.Lifetime.ApplicationStopped.Register(databaseLock.Dispose);

        // Instances that start together on one PostgreSQL database take turns here: one migrates, makes the keys and seeds
        // the demo organization; the others find them.
        try
        {
            await app.Services.PreparePortalDatabaseAsync(app.Configuration.GetValue("Database:MigrateOnStart", true), then: async services =>
            {
                services.WarmUpRegistrationKeys();
                await services.SeedDemoAsync();
            });
        }
        catch (ConfigurationException ex)
        {
            // A setting found wrong only against the database (a key-encryption certificate that does not open its keys).
            await Console.Error.WriteLineAsync(ex.Message);
            return ConfigurationCheck.ExitCode;
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or UnauthorizedAccessException)
        {
            // An unreachable or unwritable database: one line that says which, not a stack trace.
            await Console.Error.WriteLineAsync($"The host could not open its database ({database.Provider}): {ex.Message}");
            return 1;
        }

        // Counted before anything can answer: the mail yields to the requests while the host is busy with them.
        app.UseRequestLoad();

        // Security headers (HSTS outside Development included) go on every answer, errors too.
        app.UsePortalSecurity();

        // No stack trace leaves the host, in any environment: pages get the error page, /auth the Dfns error body.
        app.UseExceptionHandler("/Error", createScopeForErrors: true);

        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseDfnsErrors();
        app.UseCors();
        app.UseRateLimiter();
        app.UseAntiforgery();
        app.UsePublicPageCultures();
        app.UsePublicFormExpiry();

        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAdditionalIdentityEndpoints();
        app.MapOrganizationSelection();

        app.MapRegistrationApi();
        app.MapUsersApi();
        app.MapBrandingAssets();
        app.MapPortalHealth();
        app.MapPortalMetrics();
        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference("/api-docs");
        }

        try
        {
            await app.RunAsync();
        }
        catch (IOException ex)
        {
            // Kestrel's "address already in use" and the like: the operator needs the sentence, not the stack.
            await Console.Error.WriteLineAsync($"The host could not start: {ex.Message}");
            return 1;
        }

        return 0;
    }
}
