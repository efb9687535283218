using System.CommandLine;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Operations;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Cli;

/// <summary>
/// Operator commands on the host's own executable: <c>dotnet run --project src/RegistrationPortal.Web -- org create --name N</c>.
/// Each prints only what it made (an id, a file) on standard output; messages go to standard error; bad input exits 2.
/// Parsed by System.CommandLine, which also writes the help (<c>--help</c> on any command). Passwords never come from
/// the command line, where shell history and process lists keep them: from <see cref="PasswordVariable"/> or standard input.
/// </summary>
public static class OperatorCli
{
    public const int Ok = 0;
    public const int BadInput = 2;

    /// <summary>The environment variable <c>admin create</c> takes the new admin's password from (else standard input).</summary>
    public const string PasswordVariable = "PORTAL_ADMIN_PASSWORD";

    private static readonly Actor Operator = Actor.Operator("cli");

    /// <summary>True when the arguments name an operator verb rather than options for the web host.</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && !args[0].StartsWith('-') && !args[0].Contains('=', StringComparison.Ordinal);

    public static async Task<int> RunAsync(string[] args, IServiceProvider services, TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var parsed = Commands(new Context(services, stdout, stderr, stdin)).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await stderr.WriteLineAsync(error.Message);
            }

            await stderr.WriteLineAsync($"Run with --help for the commands and their options.");
            return BadInput;
        }

        // A verb's exception goes on to the caller, which turns a configuration problem into its one line (exit 2).
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
    }

    internal sealed record Context(IServiceProvider Services, TextWriter Stdout, TextWriter Stderr, TextReader Stdin);

    /// <summary>What a verb needs of the database before it runs.</summary>
    private enum DatabaseUse
    {
        /// <summary>Migrated, with the registration keys made: every verb that changes data.</summary>
        Migrated,

        /// <summary>The file as it is, another process may use it too (a backup).</summary>
        AsItIs,

        /// <summary>The file as it is, and no other process on it (a restore replaces it).</summary>
        Exclusive,
    }

    private static RootCommand Commands(Context context)
    {
        var name = new Option<string>("--name") { Description = "The name, one line of text", Required = true };
        var org = new Option<string>("--org") { Description = "The organization's id (or-xxxxx-xxxxx-xxxxxxxxxxxxxxxx)", Required = true };
        var email = new Option<string>("--email") { Description = "An email address", Required = true };

        var orgCreate = new Command("create", "Creates an organization; prints its id") { name };
        orgCreate.SetAction((r, _) => Run(context, DatabaseUse.Migrated, () => CreateOrganizationAsync(r.GetValue(name), context)));

        var appCreate = new Command("create", "Creates an API application of the organization; prints its id") { org, name };
        appCreate.SetAction((r, _) => Run(context, DatabaseUse.Migrated, () => CreateApplicationAsync(r.GetValue(org), r.GetValue(name), context)));

        var kind = new Option<string>("--kind") { Description = "CustomerEmployee or EndUser (the default)" };
        var language = new Option<string>("--language") { Description = $"The language of the person's emails: {string.Join(", ", PortalLanguages.Supported)} (English unless given)" };
        var userInvite = new Command("invite", "Creates a pending user and queues the first code; prints the user id") { org, email, kind, language };
        userInvite.SetAction((r, _) => Run(context, DatabaseUse.Migrated, () => InviteUserAsync(r.GetValue(org), r.GetValue(email), r.GetValue(kind), r.GetValue(language), context)));

        var adminOrg = new Option<string>("--org") { Description = "The organization the admin manages (or give --platform)" };
        var platform = new Option<bool>("--platform") { Description = "A platform admin, who may act on any organization" };
        var noPassword = new Option<bool>("--no-password") { Description = "No initial password: the admin chooses one with the invitation email's link" };
        var adminCreate = new Command(
            "create",
            $"Creates an org admin (--org) or a platform admin (--platform) and emails them an invitation to choose their password; prints the admin's id. An initial password comes from {PasswordVariable} or, without it, the first line of standard input, unless --no-password")
        {
            adminOrg, platform, email, noPassword,
        };
        adminCreate.SetAction((r, _) => Run(context, DatabaseUse.Migrated, () => CreateAdminAsync(r.GetValue(adminOrg), r.GetValue(platform), r.GetValue(email), r.GetValue(noPassword), context)));

        var to = new Option<string>("--to") { Description = "The new backup file", Required = true };
        var backup = new Command("backup", "Copies the database as of one commit, host running or not; prints the file") { to };
        backup.SetAction((r, _) => Run(context, DatabaseUse.AsItIs, () => BackupAsync(r.GetValue(to), context)));

        var from = new Option<string>("--from") { Description = "The backup file to restore", Required = true };
        var restore = new Command("restore", "Puts a backup in the database's place (host stopped); prints where the replaced file is kept") { from };
        restore.SetAction((r, _) => Run(context, DatabaseUse.Exclusive, () => RestoreAsync(r.GetValue(from), context)));

        var dryRun = new Option<bool>("--dry-run") { Description = "Only count what would be deleted" };
        var prune = new Command("prune", "Deletes (or with --dry-run only counts) what is past retention; prints rows per table") { dryRun };
        prune.SetAction((r, _) => Run(context, DatabaseUse.Migrated, () => PruneAsync(r.GetValue(dryRun), context)));

        return new RootCommand("RegistrationPortal operator commands. The database is ConnectionStrings:Portal (environment: ConnectionStrings__Portal).")
        {
            new Command("org", "Organizations") { orgCreate },
            new Command("app", "API applications") { appCreate },
            new Command("user", "Users of an organization") { userInvite },
            new Command("admin", "Portal admins")
            {
                adminCreate,
                AdminChangeCommand("disable", "Locks the admin out and signs them out everywhere; prints the admin's id", AdminChange.Disable, email, context),
                AdminChangeCommand("enable", "Lets a disabled (or locked-out) admin sign in again; prints the admin's id", AdminChange.Enable, email, context),
                AdminChangeCommand("remove", "Deletes the admin account and signs it out everywhere; prints the admin's id", AdminChange.Remove, email, context),
            },
            new Command("db", "The database file (SQLite)") { backup, restore },
            new Command("retention", "Data past its retention") { prune },
            ServiceAccountCommands.Build(context, verb => Run(context, DatabaseUse.Migrated, verb)),
        };
    }

    private static Command AdminChangeCommand(string verb, string description, AdminChange change, Option<string> email, Context context)
    {
        var command = new Command(verb, description) { email };
        command.SetAction((r, _) => Run(context, DatabaseUse.Migrated, () => ChangeAdminAsync(change, r.GetValue(email), context)));
        return command;
    }

    /// <summary>Runs a verb under the database's lock (see <see cref="PortalDatabase.TryLock"/>), after migrating when it needs to.</summary>
    private static async Task<int> Run(Context context, DatabaseUse use, Func<Task<int>> verb)
    {
        var database = context.Services.GetRequiredService<PortalDatabase>();
        using var databaseLock = database.TryLock(exclusive: use == DatabaseUse.Exclusive);
        if (databaseLock is null && File.Exists(database.FilePath))
        {
            await context.Stderr.WriteLineAsync(use == DatabaseUse.Exclusive
                ? $"The database {database.FilePath} is in use: stop the host (and every other process using it) before a restore."
                : $"The database {database.FilePath} is being restored; try again when the restore has finished.");
            return BadInput;
        }

        if (use == DatabaseUse.Migrated)
        {
            await context.Services.PreparePortalDatabaseAsync(migrate: true, then: s =>
            {
                s.WarmUpRegistrationKeys();
                return Task.CompletedTask;
            });
        }

        return await verb();
    }

    /// <summary>The <c>--name</c> option when it will do, else null after saying why on standard error.</summary>
    private static async Task<string?> NameAsync(string? name, TextWriter stderr)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > OrganizationService.MaxNameLength)
        {
            await stderr.WriteLineAsync($"--name is required: 1 to {OrganizationService.MaxNameLength} characters.");
            return null;
        }

        if (!OrganizationService.IsOneLine(name))
        {
            await stderr.WriteLineAsync($"--name must be {OrganizationService.OneLine}.");
            return null;
        }

        return name;
    }

    private static async Task<int> CreateOrganizationAsync(string? nameText, Context context)
    {
        if (await NameAsync(nameText, context.Stderr) is not { } name)
        {
            return BadInput;
        }

        var id = await context.Services.GetRequiredService<OrganizationService>().CreateAsync(name, Operator);
        await context.Stdout.WriteLineAsync(id);
        return Ok;
    }

    private static async Task<int> CreateApplicationAsync(string? orgText, string? nameText, Context context)
    {
        if (await OrgAsync(orgText, context.Stderr) is not { } orgId || await NameAsync(nameText, context.Stderr) is not { } name)
        {
            return BadInput;
        }

        var outcome = await context.Services.GetRequiredService<OrganizationService>().CreateApplicationAsync(orgId, name, Operator);
        if (outcome.Status != CreateApplicationStatus.Created)
        {
            await context.Stderr.WriteLineAsync($"No organization has the id {orgId}.");
            return BadInput;
        }

        await context.Stdout.WriteLineAsync(outcome.AppId);
        return Ok;
    }

    private static async Task<int> InviteUserAsync(string? orgText, string? emailText, string? kindText, string? languageText, Context context)
    {
        var stderr = context.Stderr;
        if (await OrgAsync(orgText, stderr) is not { } orgId || await EmailAsync(emailText, stderr) is not { } email)
        {
            return BadInput;
        }

        var kind = UserKind.EndUser;
        if (kindText is not null && (!Enum.TryParse(kindText, ignoreCase: true, out kind) || !Enum.IsDefined(kind) || int.TryParse(kindText, out _)))
        {
            await stderr.WriteLineAsync("--kind must be CustomerEmployee or EndUser.");
            return BadInput;
        }

        string? language = null;
        if (languageText is not null && (language = PortalLanguages.Parse(languageText)) is null)
        {
            await stderr.WriteLineAsync($"--language must be one of {string.Join(", ", PortalLanguages.Supported)}.");
            return BadInput;
        }

        var outcome = await context.Services.GetRequiredService<RegistrationService>().InviteAsync(orgId, email, kind, Operator, language);
        switch (outcome.Status)
        {
            case InviteStatus.Invited:
                await context.Stdout.WriteLineAsync(outcome.UserId);
                await stderr.WriteLineAsync("The first registration code is queued; a running host sends it.");
                return Ok;
            case InviteStatus.DuplicateEmail:
                await stderr.WriteLineAsync($"The organization already has a user with the email {email}.");
                return BadInput;
            case InviteStatus.UnknownOrganization:
                await stderr.WriteLineAsync($"No organization has the id {orgId}.");
                return BadInput;
            default:
                await stderr.WriteLineAsync("--email must be an email address.");
                return BadInput;
        }
    }

    private static async Task<int> ChangeAdminAsync(AdminChange change, string? emailText, Context context)
    {
        if (await EmailAsync(emailText, context.Stderr) is not { } email)
        {
            return BadInput;
        }

        if (await context.Services.GetRequiredService<AdminAccountService>().ChangeAsync(email, change, Operator) is not { } adminId)
        {
            await context.Stderr.WriteLineAsync($"No admin has the email {email}.");
            return BadInput;
        }

        await context.Stdout.WriteLineAsync(adminId);
        return Ok;
    }

    private static async Task<int> CreateAdminAsync(string? orgText, bool platform, string? emailText, bool noPassword, Context context)
    {
        var stderr = context.Stderr;
        string? orgId = null;
        if (platform && orgText is not null)
        {
            await stderr.WriteLineAsync("Give either --org or --platform, not both.");
            return BadInput;
        }

        if (!platform && (orgId = await OrgAsync(orgText, stderr)) is null)
        {
            return BadInput;
        }

        if (await EmailAsync(emailText, stderr) is not { } email)
        {
            return BadInput;
        }

        string? password = null;
        if (!noPassword)
        {
            password = Environment.GetEnvironmentVariable(PasswordVariable);
            if (string.IsNullOrEmpty(password))
            {
                password = await context.Stdin.ReadLineAsync();
            }

            if (string.IsNullOrEmpty(password))
            {
                await stderr.WriteLineAsync($"A password is required: set {PasswordVariable} or give it as the first line of standard input (never on the command line), or give --no-password to let the admin choose one from the invitation email.");
                return BadInput;
            }
        }

        var outcome = await context.Services.GetRequiredService<AdminAccountService>().CreateAsync(orgId, email, password, platform, Operator, invite: true);
        switch (outcome.Status)
        {
            case CreateAdminStatus.Created:
                await context.Stdout.WriteLineAsync(outcome.AdminId);
                await stderr.WriteLineAsync($"An invitation to choose a password is queued for {email}; the running host sends it.");
                return Ok;
            case CreateAdminStatus.UnknownOrganization:
                await stderr.WriteLineAsync($"No organization has the id {orgId}.");
                return BadInput;
            case CreateAdminStatus.DuplicateEmail:
                await stderr.WriteLineAsync($"An admin with the email {email} already exists.");
                return BadInput;
            case CreateAdminStatus.PasswordRejected:
                await stderr.WriteLineAsync("The password was refused: " + string.Join(" ", outcome.Problems ?? []));
                return BadInput;
            default:
                await stderr.WriteLineAsync("--email must be an email address.");
                return BadInput;
        }
    }

    private static async Task<int> BackupAsync(string? to, Context context)
    {
        if (string.IsNullOrWhiteSpace(to))
        {
            await context.Stderr.WriteLineAsync("--to is required: the new backup file.");
            return BadInput;
        }

        try
        {
            var result = await ActivatorUtilities.CreateInstance<DatabaseBackup>(context.Services).BackupAsync(to);
            await context.Stdout.WriteLineAsync(result.File);
            await context.Stderr.WriteLineAsync($"Backup complete and intact: {result.Users} users, {result.Codes} registration codes.");
            return Ok;
        }
        catch (BackupRefusedException ex)
        {
            await context.Stderr.WriteLineAsync(ex.Message);
            return BadInput;
        }
    }

    private static async Task<int> RestoreAsync(string? from, Context context)
    {
        if (string.IsNullOrWhiteSpace(from))
        {
            await context.Stderr.WriteLineAsync("--from is required: the backup file to restore.");
            return BadInput;
        }

        try
        {
            var result = await ActivatorUtilities.CreateInstance<DatabaseBackup>(context.Services).RestoreAsync(from);
            if (result.PreviousFile is not null)
            {
                await context.Stdout.WriteLineAsync(result.PreviousFile);
            }

            await context.Stderr.WriteLineAsync(result.PreviousFile is null
                ? $"Restored into {result.Database}. Start the host."
                : $"Restored into {result.Database}; the replaced database is kept at {result.PreviousFile}. Start the host.");
            return Ok;
        }
        catch (BackupRefusedException ex)
        {
            await context.Stderr.WriteLineAsync(ex.Message);
            return BadInput;
        }
    }

    private static async Task<int> PruneAsync(bool dryRun, Context context)
    {
        var retention = context.Services.GetRequiredService<RetentionService>();
        var now = context.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var report = dryRun ? await retention.PlanAsync(now) : await retention.PruneAsync(now);
        foreach (var (table, count) in report.Rows)
        {
            await context.Stdout.WriteLineAsync($"{table} {count}");
        }

        await context.Stderr.WriteLineAsync(dryRun ? "Dry run: nothing was deleted; these rows are past retention." : "Deleted the rows above.");
        return Ok;
    }

    internal static async Task<string?> OrgAsync(string? orgId, TextWriter stderr)
    {
        if (orgId is not null && Ids.IsValid(orgId, Ids.Organization))
        {
            return orgId;
        }

        await stderr.WriteLineAsync("--org is required and must be an organization id (or-xxxxx-xxxxx-xxxxxxxxxxxxxxxx).");
        return null;
    }

    private static async Task<string?> EmailAsync(string? email, TextWriter stderr)
    {
        if (email is not null && EmailAddress.IsValid(email))
        {
            return email;
        }

        await stderr.WriteLineAsync("--email is required and must be an email address.");
        return null;
    }
}
