using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Branding;

/// <summary>What an admin edits on the Branding page (the logo and the templates have their own calls).</summary>
public sealed record BrandingInput(string? DisplayName, string? PrimaryColor, string? SupportContact, string? SenderName, string? ReplyTo);

/// <summary>The Branding page's view of an organization: its name, its branding, its logo's address, its templates.</summary>
public sealed record BrandingView(string OrganizationName, BrandingInput Branding, string? LogoPath, IReadOnlyDictionary<EmailKind, (string Subject, string Body)> Templates);

/// <summary>A refused change: the field it is about and what is wrong, in words.</summary>
public sealed record BrandingProblem(string Field, string Message);

/// <summary>
/// An organization's branding and email templates, read and changed by its admins (platform admins for the
/// organization they picked): every call is scoped by <see cref="AdminScope"/>, every change is checked
/// (<see cref="BrandingRules"/>, <see cref="EmailTemplates.Problem"/>) and audited with the old and new values, and
/// the <see cref="BrandingCache"/> reloaded so the next email and page use it.
/// </summary>
public sealed class BrandingService(
    IDbContextFactory<PortalDbContext> contexts,
    WriteQueue writes,
    BrandingCache cache,
    ISampleEmails samples,
    TimeProvider time)
{
    public async Task<BrandingView?> GetAsync(AdminScope scope, CancellationToken ct = default)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var name = await db.Organizations.AsNoTracking().Where(o => o.Id == scope.OrgId).Select(o => o.Name).FirstOrDefaultAsync(ct);
        if (name is null)
        {
            return null;
        }

        var row = await db.OrganizationBrandings.AsNoTracking()
            .Where(b => b.OrgId == scope.OrgId)
            .Select(b => new { b.DisplayName, b.PrimaryColor, b.SupportContact, b.SenderName, b.ReplyTo, b.LogoVersion })
            .FirstOrDefaultAsync(ct);
        var templates = await db.EmailTemplates.AsNoTracking().Where(t => t.OrgId == scope.OrgId).ToListAsync(ct);
        return new BrandingView(
            name,
            new BrandingInput(row?.DisplayName, row?.PrimaryColor, row?.SupportContact, row?.SenderName, row?.ReplyTo),
            row?.LogoVersion is { } version ? BrandingAssets.LogoPath(scope.OrgId, version) : null,
            templates.ToDictionary(t => t.Kind, t => (t.Subject, t.Body)));
    }

    /// <summary>Checks every field; saves (and audits what changed) only when all pass. Returns the problems, none when saved.</summary>
    public async Task<IReadOnlyList<BrandingProblem>> SaveAsync(AdminScope scope, BrandingInput input, string? clientAddress)
    {
        var problems = Problems(input);
        if (problems.Count > 0)
        {
            return problems;
        }

        var wanted = new BrandingInput(
            Clean(input.DisplayName),
            BrandingRules.NormalizeColor(input.PrimaryColor),
            Clean(input.SupportContact),
            Clean(input.SenderName),
            Clean(input.ReplyTo));
        var saved = await writes.ExecuteAsync(async db =>
        {
            if (!await db.Organizations.AnyAsync(o => o.Id == scope.OrgId))
            {
                return false;
            }

            var row = await db.OrganizationBrandings.ForUpdate().FirstOrDefaultAsync(b => b.OrgId == scope.OrgId);
            var old = new BrandingInput(row?.DisplayName, row?.PrimaryColor, row?.SupportContact, row?.SenderName, row?.ReplyTo);
            var changes = Changes(old, wanted);
            if (changes.Length == 0)
            {
                return true;
            }

            var now = time.GetUtcNow();
            if (row is null)
            {
                row = new OrganizationBranding { OrgId = scope.OrgId };
                db.OrganizationBrandings.Add(row);
            }

            row.DisplayName = wanted.DisplayName;
            row.PrimaryColor = wanted.PrimaryColor;
            row.SupportContact = wanted.SupportContact;
            row.SenderName = wanted.SenderName;
            row.ReplyTo = wanted.ReplyTo;
            row.UpdatedAt = now;
            db.Audit(now, scope.OrgId, AuditActions.BrandingChanged, Actor.Admin(scope.AdminId, clientAddress), scope.OrgId, changes);
            return true;
        });
        if (!saved)
        {
            return [new BrandingProblem("", "The organization no longer exists.")];
        }

        await cache.ReloadAsync();
        return [];
    }

    public static List<BrandingProblem> Problems(BrandingInput input)
    {
        var problems = new List<BrandingProblem>();
        void Add(string field, string? problem)
        {
            if (problem is not null)
            {
                problems.Add(new BrandingProblem(field, problem));
            }
        }

        Add(nameof(BrandingInput.DisplayName), BrandingRules.NameProblem(input.DisplayName, "display name"));
        Add(nameof(BrandingInput.PrimaryColor), BrandingRules.ColorProblem(input.PrimaryColor));
        Add(nameof(BrandingInput.SupportContact), BrandingRules.SupportContactProblem(input.SupportContact));
        Add(nameof(BrandingInput.SenderName), BrandingRules.NameProblem(input.SenderName, "sender name"));
        Add(nameof(BrandingInput.ReplyTo), BrandingRules.ReplyToProblem(input.ReplyTo));
        return problems;
    }

    /// <summary>Replaces the logo with an upload that passes <see cref="BrandingRules.CheckLogo"/>; returns the problem, or null when saved.</summary>
    public async Task<string?> SetLogoAsync(AdminScope scope, string fileName, string? contentType, byte[] bytes, string? clientAddress)
    {
        var check = BrandingRules.CheckLogo(fileName, contentType, bytes);
        if (!check.Accepted)
        {
            return check.Problem;
        }

        var version = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
        var saved = await writes.ExecuteAsync(async db =>
        {
            if (!await db.Organizations.AnyAsync(o => o.Id == scope.OrgId))
            {
                return false;
            }

            var row = await db.OrganizationBrandings.ForUpdate().FirstOrDefaultAsync(b => b.OrgId == scope.OrgId);
            var now = time.GetUtcNow();
            var before = row?.LogoVersion is null ? "none" : $"{row.LogoContentType} {row.Logo?.Length ?? 0} bytes ({row.LogoVersion})";
            if (row is null)
            {
                row = new OrganizationBranding { OrgId = scope.OrgId };
                db.OrganizationBrandings.Add(row);
            }

            row.Logo = bytes;
            row.LogoContentType = check.ContentType;
            row.LogoVersion = version;
            row.UpdatedAt = now;
            db.Audit(now, scope.OrgId, AuditActions.BrandingLogoChanged, Actor.Admin(scope.AdminId, clientAddress), scope.OrgId,
                $"logo: {before} → {check.ContentType} {bytes.Length} bytes ({version})");
            return true;
        });
        if (!saved)
        {
            return "The organization no longer exists.";
        }

        await cache.ReloadAsync();
        return null;
    }

    public async Task RemoveLogoAsync(AdminScope scope, string? clientAddress)
    {
        var removed = await writes.ExecuteAsync(async db =>
        {
            var row = await db.OrganizationBrandings.ForUpdate().FirstOrDefaultAsync(b => b.OrgId == scope.OrgId);
            if (row?.LogoVersion is null)
            {
                return false;
            }

            var now = time.GetUtcNow();
            db.Audit(now, scope.OrgId, AuditActions.BrandingLogoChanged, Actor.Admin(scope.AdminId, clientAddress), scope.OrgId,
                $"logo: {row.LogoContentType} {row.Logo?.Length ?? 0} bytes ({row.LogoVersion}) → none");
            row.Logo = null;
            row.LogoContentType = null;
            row.LogoVersion = null;
            row.UpdatedAt = now;
            return true;
        });
        if (removed)
        {
            await cache.ReloadAsync();
        }
    }

    /// <summary>Saves an organization's template for one kind of email after <see cref="EmailTemplates.Problem"/>; returns the problem, or null when saved.</summary>
    public async Task<string?> SaveTemplateAsync(AdminScope scope, EmailKind kind, string subject, string body, string? clientAddress)
    {
        if (kind is not (EmailKind.Invitation or EmailKind.Code))
        {
            return "Only the invitation and the resent code have templates.";
        }

        if (EmailTemplates.Problem(subject, body) is { } problem)
        {
            return problem;
        }

        var saved = await writes.ExecuteAsync(async db =>
        {
            if (!await db.Organizations.AnyAsync(o => o.Id == scope.OrgId))
            {
                return false;
            }

            var row = await db.EmailTemplates.ForUpdate().FirstOrDefaultAsync(t => t.OrgId == scope.OrgId && t.Kind == kind);
            if (row is not null && row.Subject == subject && row.Body == body)
            {
                return true;
            }

            var now = time.GetUtcNow();
            var details = row is null
                ? $"{kind} template: default words → subject \"{subject}\", body \"{body}\""
                : $"{kind} template: subject \"{row.Subject}\" → \"{subject}\"; body \"{row.Body}\" → \"{body}\"";
            if (row is null)
            {
                db.EmailTemplates.Add(new EmailTemplate { OrgId = scope.OrgId, Kind = kind, Subject = subject, Body = body, UpdatedAt = now });
            }
            else
            {
                row.Subject = subject;
                row.Body = body;
                row.UpdatedAt = now;
            }

            db.Audit(now, scope.OrgId, AuditActions.EmailTemplateChanged, Actor.Admin(scope.AdminId, clientAddress), scope.OrgId, details);
            return true;
        });
        if (!saved)
        {
            return "The organization no longer exists.";
        }

        await cache.ReloadAsync();
        return null;
    }

    /// <summary>Goes back to the default words for one kind of email.</summary>
    public async Task RemoveTemplateAsync(AdminScope scope, EmailKind kind, string? clientAddress)
    {
        var removed = await writes.ExecuteAsync(async db =>
        {
            var row = await db.EmailTemplates.ForUpdate().FirstOrDefaultAsync(t => t.OrgId == scope.OrgId && t.Kind == kind);
            if (row is null)
            {
                return false;
            }

            db.EmailTemplates.Remove(row);
            db.Audit(time.GetUtcNow(), scope.OrgId, AuditActions.EmailTemplateChanged, Actor.Admin(scope.AdminId, clientAddress), scope.OrgId,
                $"{kind} template: subject \"{row.Subject}\", body \"{row.Body}\" → default words");
            return true;
        });
        if (removed)
        {
            await cache.ReloadAsync();
        }
    }

    /// <summary>
    /// Queues a sample of one kind of email, as the organization's emails look now, to the admin's own address, through
    /// the outbox like every email: a sample code (not a real one) that expires in a day.
    /// </summary>
    public async Task<bool> QueueTestEmailAsync(AdminScope scope, EmailKind kind, string adminEmail, string? clientAddress)
    {
        var testKind = kind == EmailKind.Invitation ? EmailKind.InvitationSample : EmailKind.CodeSample;
        var payload = samples.ProtectPayload(SampleCode);
        var queued = await writes.ExecuteAsync(async db =>
        {
            if (!await db.Organizations.AnyAsync(o => o.Id == scope.OrgId))
            {
                return false;
            }

            var now = time.GetUtcNow();
            samples.Add(db, scope.OrgId, scope.AdminId, testKind, adminEmail, payload, now);
            db.Audit(now, scope.OrgId, AuditActions.TestEmailQueued, Actor.Admin(scope.AdminId, clientAddress), scope.OrgId, $"{kind} sample to {adminEmail}");
            return true;
        });
        if (queued)
        {
            samples.Notify();
        }

        return queued;
    }

    /// <summary>The code a sample email shows: in the code alphabet, never issued.</summary>
    public const string SampleCode = "TEST-TEST-TEST-TEST";

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Changes(BrandingInput old, BrandingInput wanted)
    {
        var changes = new StringBuilder();
        void Compare(string what, string? before, string? after)
        {
            if (!string.Equals(before, after, StringComparison.Ordinal))
            {
                changes.Append(changes.Length > 0 ? "; " : "").Append($"{what}: {Show(before)} → {Show(after)}");
            }
        }

        Compare("display name", old.DisplayName, wanted.DisplayName);
        Compare("primary colour", old.PrimaryColor, wanted.PrimaryColor);
        Compare("support contact", old.SupportContact, wanted.SupportContact);
        Compare("sender name", old.SenderName, wanted.SenderName);
        Compare("reply-to", old.ReplyTo, wanted.ReplyTo);
        return changes.ToString();
    }

    private static string Show(string? value) => value is null ? "none" : $"\"{value}\"";
}
