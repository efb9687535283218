using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Organizations;

public sealed record OrganizationSearch(string? Text = null, int Page = 0, int PageSize = 25);

public sealed record OrganizationRow(string Id, string Name, DateTimeOffset CreatedAt, int Admins);

public sealed record OrganizationPage(IReadOnlyList<OrganizationRow> Items, int TotalItems);

public sealed record NewOrganization(string? Name, string? AdminEmail, string? AdminPassword);

/// <summary>What became of a new organization; when it was refused for several reasons, the first of them (name, email, password).</summary>
public enum CreateOrganizationStatus
{
    Created,
    InvalidName,
    DuplicateName,
    InvalidEmail,
    DuplicateEmail,
    PasswordRejected,

    /// <summary>Something failed after the checks; whatever was made was removed again.</summary>
    Failed,
}

/// <summary>
/// A new organization, or why not: every problem found, each for its field (<paramref name="Problems"/> are the
/// password's), so the form shows them all at once.
/// </summary>
public sealed record CreateOrganizationOutcome(
    CreateOrganizationStatus Status,
    string? OrgId = null,
    string? AdminId = null,
    IReadOnlyList<string>? Problems = null,
    string? NameProblem = null,
    string? EmailProblem = null)
{
    /// <summary>Every problem, in the form's order: what a summary above the fields lists.</summary>
    public IReadOnlyList<string> AllProblems =>
        [.. new[] { NameProblem, EmailProblem }.OfType<string>(), .. Problems ?? []];
}

/// <summary>What platform admins do across organizations: list them and create one with its first org admin.</summary>
public sealed class OrganizationAdminService(
    IDbContextFactory<PortalDbContext> contexts,
    OrganizationService organizations,
    AdminAccountService admins,
    IServiceScopeFactory scopes,
    WriteQueue writes,
    TimeProvider time,
    ILogger<OrganizationAdminService> logger)
{
    public const int MaxPageSize = 100;

    public async Task<OrganizationPage> SearchAsync(PlatformScope scope, OrganizationSearch search, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var orgs = db.Organizations.AsNoTracking();
        if (SearchText.Clean(search.Text) is { } text)
        {
            // lower() on both sides: case-insensitive on SQLite and PostgreSQL alike. An exact id finds its organization too.
            var term = text.ToLowerInvariant();
#pragma warning disable CA1862 // EF translates ToLower to SQL lower(); the StringComparison overloads do not translate.
            orgs = orgs.Where(o => o.Name.ToLower().Contains(term) || o.Id == text);
#pragma warning restore CA1862
        }

        var total = await orgs.CountAsync(ct);
        var pageSize = Math.Clamp(search.PageSize, 1, MaxPageSize);
        var rows = await orgs
            .OrderBy(o => o.Name)
            .ThenBy(o => o.Id)
            .Skip(Math.Max(0, search.Page) * pageSize)
            .Take(pageSize)
            .Select(o => new OrganizationRow(o.Id, o.Name, o.CreatedAt, db.Users.Count(u => u.OrgId == o.Id)))
            .ToListAsync(ct);
        return new OrganizationPage(rows, total);
    }

    /// <summary>The name of the organization an admin works in (the app bar shows it); null when it no longer exists.</summary>
    public async Task<string?> NameOfAsync(AdminScope scope, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Organizations.Where(o => o.Id == scope.OrgId).Select(o => o.Name).FirstOrDefaultAsync(ct);
    }

    /// <summary>
    /// Creates an organization and its first org admin, who is emailed an invitation to choose their password (the
    /// platform admin may also set an initial one). Everything that can be checked is checked before anything is
    /// written (the name, that no organization has it yet, the email, that it is free, the password against Identity's
    /// rules), every problem is reported at once (<see cref="CreateOrganizationOutcome.NameProblem"/>,
    /// <see cref="CreateOrganizationOutcome.EmailProblem"/>, <see cref="CreateOrganizationOutcome.Problems"/>), and a
    /// refusal leaves nothing behind; should the admin still fail afterwards (another admin took the email in between,
    /// the database failed), the new organization is deleted again, audited.
    /// </summary>
    public async Task<CreateOrganizationOutcome> CreateAsync(PlatformScope scope, NewOrganization request, string? clientAddress)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var refusal = await CheckAsync(request);
        if (refusal is not null)
        {
            return refusal;
        }

        var email = request.AdminEmail!.Trim();
        var password = string.IsNullOrEmpty(request.AdminPassword) ? null : request.AdminPassword;
        var actor = Actor.Admin(scope.AdminId, clientAddress);
        var orgId = await organizations.CreateAsync(request.Name!, actor);
        CreateAdminOutcome admin;
        try
        {
            admin = await admins.CreateAsync(orgId, email, password, platformAdmin: false, actor, invite: true);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Creating the first admin of organization {OrgId} failed", orgId);
            admin = new CreateAdminOutcome(CreateAdminStatus.UnknownOrganization);
        }

        if (admin.Status == CreateAdminStatus.Created)
        {
            return new CreateOrganizationOutcome(CreateOrganizationStatus.Created, orgId, admin.AdminId);
        }

        await DeleteEmptyOrganizationAsync(orgId, actor, $"its first admin could not be created ({admin.Status})");
        return admin.Status switch
        {
            CreateAdminStatus.DuplicateEmail => new CreateOrganizationOutcome(CreateOrganizationStatus.DuplicateEmail, EmailProblem: DuplicateEmail),
            CreateAdminStatus.PasswordRejected => new CreateOrganizationOutcome(CreateOrganizationStatus.PasswordRejected, Problems: admin.Problems),
            CreateAdminStatus.InvalidEmail => new CreateOrganizationOutcome(CreateOrganizationStatus.InvalidEmail, EmailProblem: InvalidEmail),
            _ => new CreateOrganizationOutcome(CreateOrganizationStatus.Failed),
        };
    }

    public const string InvalidEmail = "Enter the admin's email address, like name@example.com.";

    public const string DuplicateEmail = "An admin with this email already exists. Use another address.";

    /// <summary>Every problem of <paramref name="request"/>, each for its field; null when there is none.</summary>
    private async Task<CreateOrganizationOutcome?> CheckAsync(NewOrganization request)
    {
        var statuses = new List<CreateOrganizationStatus>();
        string? nameProblem;
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            nameProblem = $"Enter the organization's name (at most {OrganizationService.MaxNameLength} characters).";
        }
        else if (OrganizationService.NameProblem(request.Name, "The organization's name") is { } problem)
        {
            nameProblem = problem;
        }
        else
        {
            await using var db = await contexts.CreateDbContextAsync();
            var lower = request.Name.Trim().ToLowerInvariant();
#pragma warning disable CA1862 // EF translates ToLower to SQL lower(); the StringComparison overloads do not translate.
            var taken = await db.Organizations.AnyAsync(o => o.Name.ToLower() == lower);
#pragma warning restore CA1862
            nameProblem = taken ? $"An organization named {request.Name.Trim()} already exists. Choose another name." : null;
            if (taken)
            {
                statuses.Add(CreateOrganizationStatus.DuplicateName);
            }
        }

        if (nameProblem is not null && statuses.Count == 0)
        {
            statuses.Add(CreateOrganizationStatus.InvalidName);
        }

        string? emailProblem = null;
        var passwordProblems = new List<string>();
        await using (var checks = scopes.CreateAsyncScope())
        {
            var users = checks.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            if (!EmailAddress.IsValid(request.AdminEmail))
            {
                emailProblem = InvalidEmail;
                statuses.Add(CreateOrganizationStatus.InvalidEmail);
            }
            else if (await users.FindByEmailAsync(request.AdminEmail!.Trim()) is not null)
            {
                emailProblem = DuplicateEmail;
                statuses.Add(CreateOrganizationStatus.DuplicateEmail);
            }

            // No password is fine: the invitation lets the admin choose one.
            if (!string.IsNullOrEmpty(request.AdminPassword))
            {
                var candidate = new PortalUser { UserName = request.AdminEmail?.Trim(), Email = request.AdminEmail?.Trim() };
                foreach (var validator in users.PasswordValidators)
                {
                    var result = await validator.ValidateAsync(users, candidate, request.AdminPassword);
                    passwordProblems.AddRange(result.Errors.Select(e => e.Description));
                }

                if (passwordProblems.Count > 0)
                {
                    statuses.Add(CreateOrganizationStatus.PasswordRejected);
                }
            }
        }

        return statuses.Count == 0
            ? null
            : new CreateOrganizationOutcome(statuses[0], NameProblem: nameProblem, EmailProblem: emailProblem, Problems: passwordProblems.Count > 0 ? passwordProblems : null);
    }

    private Task<bool> DeleteEmptyOrganizationAsync(string orgId, Actor actor, string reason) =>
        writes.ExecuteAsync(async db =>
        {
            // Only an organization nothing refers to yet: it was made a moment ago by this call.
            var empty = !await db.Applications.AnyAsync(a => a.OrgId == orgId)
                && !await db.OrgUsers.AnyAsync(u => u.OrgId == orgId)
                && !await db.Users.AnyAsync(u => u.OrgId == orgId);
            if (!empty)
            {
                return false;
            }

            await db.Organizations.Where(o => o.Id == orgId).ExecuteDeleteAsync();
            db.Audit(time.GetUtcNow(), orgId, AuditActions.OrganizationDeleted, actor, orgId, reason);
            return true;
        });
}

/// <summary>What the create dialog hands back to the page.</summary>
public sealed record CreatedOrganization(string OrgId, string Name, string AdminEmail);
