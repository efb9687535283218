using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Branding;
using RegistrationPortal.Web.Features.Dashboard;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Components;

/// <summary>
/// The portal's real services on a real SQLite file, without the web host: components under test talk to
/// them exactly as in production. Hosted services (the mail dispatcher) are not started, except the one that runs
/// background jobs (bulk resends).
/// </summary>
public sealed class PortalServices : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("portal-bunit-").FullName;
    private IHost? _host;

    public IServiceProvider Provider => _host!.Services;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = "Testing",
            ContentRootPath = _directory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(_directory, "portal.db")}",
            ["Email:DispatcherEnabled"] = "false",
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddPortalData();
        builder.AddOrganizations();

        // Admin accounts: the new-organization dialog's checks (a taken email, the password rules) ask Identity.
        Web.Components.Account.AccountSetup.AddPortalIdentity(builder);
        builder.AddRegistration();
        builder.AddEmail();
        builder.AddBranding();
        builder.AddOrgUsers();
        builder.AddAuditLog();
        builder.AddDashboard();
        _host = builder.Build();
        await _host.Services.MigratePortalDatabaseAsync();
        _host.Services.WarmUpRegistrationKeys();
        await _host.Services.GetRequiredService<Web.Shared.BackgroundJobs>().StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.Services.GetRequiredService<Web.Shared.BackgroundJobs>().StopAsync(CancellationToken.None);
            await ((IAsyncDisposable)_host).DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    public Task<string> CreateOrganizationAsync(string name = "Test Org") =>
        Provider.GetRequiredService<OrganizationService>().CreateAsync(name, Actor.Operator("test"));

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> work)
    {
        await using var db = await Provider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await work(db);
    }

    public async Task<string> InviteAsync(string orgId, string email, UserKind kind = UserKind.EndUser)
    {
        var outcome = await Provider.GetRequiredService<RegistrationService>().InviteAsync(orgId, email, kind, Actor.Operator("test"));
        return outcome.UserId ?? throw new InvalidOperationException($"Invite failed: {outcome.Status}");
    }
}
