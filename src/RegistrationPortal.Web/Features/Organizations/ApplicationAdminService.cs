using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Organizations;

public sealed record ApplicationRow(string Id, string Name, bool IsActive, DateTimeOffset CreatedAt);

public enum ApplicationChangeStatus
{
    Changed,

    /// <summary>The application was already in the requested state; nothing was written.</summary>
    Unchanged,

    /// <summary>No such application in the admin's organization (whether it exists elsewhere or not).</summary>
    NotFound,
}

public sealed record CreateApplicationResult(ApplicationRow? Application, string? Problem);

/// <summary>
/// What the admin portal does with an organization's API applications (the ids clients send as
/// <c>X-DFNS-APPID</c>); every call is scoped by <see cref="AdminScope"/>. An application id of another
/// organization is answered exactly like one that does not exist, and leaves an audit event.
/// </summary>
public sealed class ApplicationAdminService(
    IDbContextFactory<PortalDbContext> contexts,
    OrganizationService organizations,
    WriteQueue writes,
    TimeProvider time)
{
    /// <summary>An organization has a handful of applications; the page shows them all, up to this many.</summary>
    public const int MaxListed = 500;

    /// <summary>What is wrong with a proposed application name, or null when it is fine; the create dialog shows the same words.</summary>
    public static string? NameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "Enter a name for the application."
        : name.Trim().Length > OrganizationService.MaxNameLength ? $"Use at most {OrganizationService.MaxNameLength} characters."
        : !OrganizationService.IsOneLine(name) ? $"The name must be {OrganizationService.OneLine}."
        : null;

    public async Task<IReadOnlyList<ApplicationRow>> ListAsync(AdminScope scope, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Applications.AsNoTracking()
            .Where(a => a.OrgId == scope.OrgId)
            .OrderByDescending(a => a.CreatedAt)
            .ThenBy(a => a.Id)
            .Take(MaxListed)
            .Select(a => new ApplicationRow(a.Id, a.Name, a.IsActive, a.CreatedAt))
            .ToListAsync(ct);
    }

    public async Task<CreateApplicationResult> CreateAsync(AdminScope scope, string? name, string? clientAddress)
    {
        if (NameProblem(name) is { } problem)
        {
            return new CreateApplicationResult(null, problem);
        }

        // Names label the page's buttons and the audit trail, so two alike would be ambiguous. Checked outside the
        // write: two admins racing to the same name get two applications with distinct ids, which is harmless.
        var lowered = name!.Trim().ToLowerInvariant();
        await using (var db = await contexts.CreateDbContextAsync())
        {
#pragma warning disable CA1862 // EF translates ToLower to SQL lower(); the StringComparison overloads do not translate.
            if (await db.Applications.AnyAsync(a => a.OrgId == scope.OrgId && a.Name.ToLower() == lowered))
#pragma warning restore CA1862
            {
                return new CreateApplicationResult(null, "The organization already has an application with this name.");
            }
        }

        var outcome = await organizations.CreateApplicationAsync(scope.OrgId, name!, Actor.Admin(scope.AdminId, clientAddress));
        if (outcome.Status != CreateApplicationStatus.Created)
        {
            return new CreateApplicationResult(null, "The organization no longer exists.");
        }

        await using var read = await contexts.CreateDbContextAsync();
        var row = await read.Applications.AsNoTracking()
            .Where(a => a.Id == outcome.AppId)
            .Select(a => new ApplicationRow(a.Id, a.Name, a.IsActive, a.CreatedAt))
            .SingleAsync();
        return new CreateApplicationResult(row, null);
    }

    /// <summary>Stops the API from accepting the application's id (<c>401 Not Authorized.</c>) until it is reactivated.</summary>
    public Task<ApplicationChangeStatus> DeactivateAsync(AdminScope scope, string appId, string? clientAddress) =>
        SetActiveAsync(scope, appId, active: false, clientAddress);

    public Task<ApplicationChangeStatus> ReactivateAsync(AdminScope scope, string appId, string? clientAddress) =>
        SetActiveAsync(scope, appId, active: true, clientAddress);

    private Task<ApplicationChangeStatus> SetActiveAsync(AdminScope scope, string appId, bool active, string? clientAddress)
    {
        var actor = Actor.Admin(scope.AdminId, clientAddress);
        return writes.ExecuteAsync(async db =>
        {
            var now = time.GetUtcNow();
            var app = await db.Applications.FirstOrDefaultAsync(a => a.Id == appId && a.OrgId == scope.OrgId);
            if (app is null)
            {
                var what = active ? "reactivate" : "deactivate";
                db.Audit(now, scope.OrgId, AuditActions.AccessDenied, actor, appId, $"{what}: no such application in the organization");
                return ApplicationChangeStatus.NotFound;
            }

            if (app.IsActive == active)
            {
                return ApplicationChangeStatus.Unchanged;
            }

            app.IsActive = active;
            db.Audit(now, scope.OrgId, active ? AuditActions.ApplicationReactivated : AuditActions.ApplicationDeactivated, actor, app.Id, app.Name);
            return ApplicationChangeStatus.Changed;
        });
    }
}
