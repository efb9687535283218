using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

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

    /// <summary>What a name must be, after "must be": it shows on pages, in audit events, logs and emails, one line each.</summary>
    public const string OneLine = "one line of text: no line breaks, tabs or other control characters";

    public static bool IsValidName(string? name) => NameProblem(name, "A name") is null;

    /// <summary>Null when <paramref name="name"/> will do as an organization's or application's name, else a sentence that
    /// says what is wrong, starting with <paramref name="subject"/> ("An organization name").</summary>
    public static string? NameProblem(string? name, string subject) =>
        string.IsNullOrWhiteSpace(name) || name.Trim().Length > MaxNameLength ? $"{subject} is 1 to {MaxNameLength} characters."
        : !IsOneLine(name) ? $"{subject} must be {OneLine}."
        : null;

    /// <summary>
    /// No control characters (CR, LF, tab, NUL, escape, C1 such as NEL), no line or paragraph separators, no bidirectional
    /// overrides or isolates (which make a name read differently from what it is), and no half of a surrogate pair.
    /// </summary>
    public static bool IsOneLine(string name) =>
        !UnicodeText.HasAny(name, c => char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'));

    /// <summary>Creates an organization; <paramref name="id"/> is only given by the development seed.</summary>
    public Task<string> CreateAsync(string name, Actor actor, string? id = null)
    {
        if (NameProblem(name, "An organization name") is { } problem)
        {
            throw new ArgumentException(problem, nameof(name));
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
        if (NameProblem(name, "An application name") is { } problem)
        {
            throw new ArgumentException(problem, nameof(name));
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
        builder.Services.AddSingleton<OrgAdminService>();
        builder.Services.AddSingleton<ApplicationAdminService>();
        builder.Services.AddSingleton<OrganizationAdminService>();
        return builder;
    }
}
