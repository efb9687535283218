using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Web.Features.Organizations;

public enum CreateApplicationStatus
{
    Created,
    UnknownOrganization,
}

public sealed record CreateApplicationOutcome(CreateApplicationStatus Status, string? AppId = null);

public sealed class OrganizationService(WriteQueue writes, TimeProvider time)
{
    public const int MaxNameLength = 200;

    public static bool IsValidName(string? name) => !string.IsNullOrWhiteSpace(name) && name.Trim().Length <= MaxNameLength;

    /// <summary>Creates an organization; <paramref name="id"/> is only given by the development seed.</summary>
    public Task<string> CreateAsync(string name, Actor actor, string? id = null)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"An organization name is 1 to {MaxNameLength} characters.", nameof(name));
        }

        return writes.ExecuteAsync(db =>
        {
            var now = time.GetUtcNow();
            var org = new Organization { Id = id ?? Ids.New(Ids.Organization), Name = name.Trim(), CreatedAt = now };
            db.Organizations.Add(org);
            db.Audit(now, org.Id, AuditActions.OrganizationCreated, actor, org.Id, org.Name);
            return Task.FromResult(org.Id);
        });
    }

    public Task<CreateApplicationOutcome> CreateApplicationAsync(string orgId, string name, Actor actor, string? id = null)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"An application name is 1 to {MaxNameLength} characters.", nameof(name));
        }

        return writes.ExecuteAsync(async db =>
        {
            if (!await db.Organizations.AnyAsync(o => o.Id == orgId))
            {
                return new CreateApplicationOutcome(CreateApplicationStatus.UnknownOrganization);
            }

            var now = time.GetUtcNow();
            var app = new ApiApplication { Id = id ?? Ids.New(Ids.Application), OrgId = orgId, Name = name.Trim(), CreatedAt = now };
            db.Applications.Add(app);
            db.Audit(now, orgId, AuditActions.ApplicationCreated, actor, app.Id, app.Name);
            return new CreateApplicationOutcome(CreateApplicationStatus.Created, app.Id);
        });
    }
}

public static class OrganizationSetup
{
    public static IHostApplicationBuilder AddOrganizations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OrganizationService>();
        builder.Services.AddSingleton<AdminAccountService>();
        builder.Services.AddSingleton<ApplicationAdminService>();
        builder.Services.AddSingleton<OrganizationAdminService>();
        return builder;
    }
}
