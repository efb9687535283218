using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Operations;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Cli;

/// <summary>
/// Operator commands on the host's own executable: <c>dotnet run --project src/RegistrationPortal.Web -- org create --name N</c>.
/// Each prints only the new id on standard output; messages go to standard error; bad input exits 2.
/// </summary>
public static class OperatorCli
{
    public const int Ok = 0;
    public const int BadInput = 2;

    private static readonly Actor Operator = Actor.Operator("cli");

    private static readonly Dictionary<string, string[]> Verbs = new()
    {
        ["org create"] = ["name"],
        ["app create"] = ["org", "name"],
        ["user invite"] = ["org", "email", "kind", "language"],
        ["admin create"] = ["org", "email", "password", "platform"],
        ["admin disable"] = ["email"],
        ["admin enable"] = ["email"],
        ["admin remove"] = ["email"],
        ["db backup"] = ["to"],
        ["db restore"] = ["from"],
        ["retention prune"] = ["dry-run"],
    };

    private static readonly string[] Flags = ["platform", "dry-run"];

    public static string Usage => """
        Usage: RegistrationPortal.Web <verb> [options]
          org create  --name NAME                                        creates an organization; prints its id
          app create  --org ORG_ID --name NAME                           creates an API application; prints its id
          user invite --org ORG_ID --email EMAIL [--kind CustomerEmployee|EndUser] [--language en|fr|de|es]
                                                                         creates a pending user and queues the first code; prints the user id
          admin create --org ORG_ID --email EMAIL --password PASSWORD    creates an org admin of the organization; prints the admin's id
          admin create --platform --email EMAIL --password PASSWORD      creates a platform admin (may act on any organization)
          admin disable --email EMAIL                                    locks the admin out and signs them out everywhere; prints the admin's id
          admin enable  --email EMAIL                                    lets a disabled (or locked-out) admin sign in again; prints the admin's id
          admin remove  --email EMAIL                                    deletes the admin account and signs it out everywhere; prints the admin's id
          db backup   --to FILE                                          copies the database as of one commit, host running or not; prints the file
          db restore  --from FILE                                        puts a backup in the database's place (host stopped); prints where the replaced file is kept
          retention prune [--dry-run]                                    deletes (or with --dry-run only counts) what is past retention; prints rows per table
        The database is ConnectionStrings:Portal (environment: ConnectionStrings__Portal).
        """;

    /// <summary>True when the arguments name an operator verb rather than options for the web host.</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && !args[0].StartsWith('-') && !args[0].Contains('=', StringComparison.Ordinal);

    public static async Task<int> RunAsync(string[] args, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length < 2 || !Verbs.TryGetValue($"{args[0]} {args[1]}", out var allowed))
        {
            await stderr.WriteLineAsync(args is ["help" or "--help" or "-h", ..] ? Usage : $"Unknown command: {string.Join(' ', args.Take(2))}\n{Usage}");
            return BadInput;
        }

        if (!TryParseOptions(args[2..], allowed, Flags, out var options, out var error))
        {
            await stderr.WriteLineAsync($"{error}\n{Usage}");
            return BadInput;
        }

        var verb = $"{args[0]} {args[1]}";
        var database = services.GetRequiredService<PortalDatabase>();
        using var databaseLock = database.TryLock(exclusive: verb == "db restore");
        if (databaseLock is null && File.Exists(database.FilePath))
        {
            await stderr.WriteLineAsync(verb == "db restore"
                ? $"The database {database.FilePath} is in use: stop the host (and every other process using it) before a restore."
                : $"The database {database.FilePath} is being restored; try again when the restore has finished.");
            return BadInput;
        }

        switch (verb)
        {
            // The file itself, as it is: no migration, no keys made.
            case "db backup":
                return await BackupAsync(options, services, stdout, stderr);
            case "db restore":
                return await RestoreAsync(options, services, stdout, stderr);
        }

        await services.PreparePortalDatabaseAsync(migrate: true, then: s =>
        {
            s.WarmUpRegistrationKeys();
            return Task.CompletedTask;
        });
        return verb switch
        {
            "org create" => await CreateOrganizationAsync(options, services, stdout, stderr),
            "app create" => await CreateApplicationAsync(options, services, stdout, stderr),
            "admin create" => await CreateAdminAsync(options, services, stdout, stderr),
            "admin disable" => await ChangeAdminAsync(AdminChange.Disable, options, services, stdout, stderr),
            "admin enable" => await ChangeAdminAsync(AdminChange.Enable, options, services, stdout, stderr),
            "admin remove" => await ChangeAdminAsync(AdminChange.Remove, options, services, stdout, stderr),
            "retention prune" => await PruneAsync(options, services, stdout, stderr),
            _ => await InviteUserAsync(options, services, stdout, stderr),
        };
    }

    /// <summary>The <c>--name</c> option when it will do, else null after saying why on standard error.</summary>
    private static async Task<string?> NameAsync(Dictionary<string, string> options, TextWriter stderr)
    {
        options.TryGetValue("name", out var name);
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

    private static async Task<int> CreateOrganizationAsync(Dictionary<string, string> options, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (await NameAsync(options, stderr) is not { } name)
        {
            return BadInput;
        }

        var id = await services.GetRequiredService<OrganizationService>().CreateAsync(name, Operator);
        await stdout.WriteLineAsync(id);
        return Ok;
    }

    private static async Task<int> CreateApplicationAsync(Dictionary<string, string> options, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (await RequireOrgAsync(options, stderr) is not { } orgId)
        {
            return BadInput;
        }

        if (await NameAsync(options, stderr) is not { } name)
        {
            return BadInput;
        }

        var outcome = await services.GetRequiredService<OrganizationService>().CreateApplicationAsync(orgId, name, Operator);
        if (outcome.Status != CreateApplicationStatus.Created)
        {
            await stderr.WriteLineAsync($"No organization has the id {orgId}.");
            return BadInput;
        }

        await stdout.WriteLineAsync(outcome.AppId);
        return Ok;
    }

    private static async Task<int> InviteUserAsync(Dictionary<string, string> options, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (await RequireOrgAsync(options, stderr) is not { } orgId)
        {
            return BadInput;
        }

        if (!options.TryGetValue("email", out var email) || !EmailAddress.IsValid(email))
        {
            await stderr.WriteLineAsync("--email is required and must be an email address.");
            return BadInput;
        }

        var kind = UserKind.EndUser;
        if (options.TryGetValue("kind", out var kindText) && !Enum.TryParse(kindText, ignoreCase: true, out kind) || !Enum.IsDefined(kind))
        {
            await stderr.WriteLineAsync("--kind must be CustomerEmployee or EndUser.");
            return BadInput;
        }

        string? language = null;
        if (options.TryGetValue("language", out var languageText) && (language = PortalLanguages.Parse(languageText)) is null)
        {
            await stderr.WriteLineAsync($"--language must be one of {string.Join(", ", PortalLanguages.Supported)}.");
            return BadInput;
        }

        var outcome = await services.GetRequiredService<RegistrationService>().InviteAsync(orgId, email, kind, Operator, language);
        switch (outcome.Status)
        {
            case InviteStatus.Invited:
                await stdout.WriteLineAsync(outcome.UserId);
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

    private static async Task<int> ChangeAdminAsync(AdminChange change, Dictionary<string, string> options, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (!options.TryGetValue("email", out var email) || !EmailAddress.IsValid(email))
        {
            await stderr.WriteLineAsync("--email is required and must be an email address.");
            return BadInput;
        }

        if (await services.GetRequiredService<AdminAccountService>().ChangeAsync(email, change, Operator) is not { } adminId)
        {
            await stderr.WriteLineAsync($"No admin has the email {email}.");
            return BadInput;
        }

        await stdout.WriteLineAsync(adminId);
        return Ok;
    }

    private static async Task<int> CreateAdminAsync(Dictionary<string, string> options, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        var platform = options.ContainsKey("platform");
        string? orgId = null;
        if (platform && options.ContainsKey("org"))
        {
            await stderr.WriteLineAsync("Give either --org or --platform, not both.");
            return BadInput;
        }

        if (!platform)
        {
            orgId = await RequireOrgAsync(options, stderr);
            if (orgId is null)
            {
                return BadInput;
            }
        }

        if (!options.TryGetValue("email", out var email) || !EmailAddress.IsValid(email))
        {
            await stderr.WriteLineAsync("--email is required and must be an email address.");
            return BadInput;
        }

        if (!options.TryGetValue("password", out var password) || password.Length == 0)
        {
            await stderr.WriteLineAsync("--password is required.");
            return BadInput;
        }

        var outcome = await services.GetRequiredService<AdminAccountService>().CreateAsync(orgId, email, password, platform, Operator);
        switch (outcome.Status)
        {
            case CreateAdminStatus.Created:
                await stdout.WriteLineAsync(outcome.AdminId);
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

    private static async Task<int> BackupAsync(Dictionary<string, string> options, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (!options.TryGetValue("to", out var to) || string.IsNullOrWhiteSpace(to))
        {
            await stderr.WriteLineAsync("--to is required: the new backup file.");
            return BadInput;
        }

        try
        {
            var result = await ActivatorUtilities.CreateInstance<DatabaseBackup>(services).BackupAsync(to);
            await stdout.WriteLineAsync(result.File);
            await stderr.WriteLineAsync($"Backup complete and intact: {result.Users} users, {result.Codes} registration codes.");
            return Ok;
        }
        catch (BackupRefusedException ex)
        {
            await stderr.WriteLineAsync(ex.Message);
            return BadInput;
        }
    }

    private static async Task<int> RestoreAsync(Dictionary<string, string> options, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (!options.TryGetValue("from", out var from) || string.IsNullOrWhiteSpace(from))
        {
            await stderr.WriteLineAsync("--from is required: the backup file to restore.");
            return BadInput;
        }

        try
        {
            var result = await ActivatorUtilities.CreateInstance<DatabaseBackup>(services).RestoreAsync(from);
            if (result.PreviousFile is not null)
            {
                await stdout.WriteLineAsync(result.PreviousFile);
            }

            await stderr.WriteLineAsync(result.PreviousFile is null
                ? $"Restored into {result.Database}. Start the host."
                : $"Restored into {result.Database}; the replaced database is kept at {result.PreviousFile}. Start the host.");
            return Ok;
        }
        catch (BackupRefusedException ex)
        {
            await stderr.WriteLineAsync(ex.Message);
            return BadInput;
        }
    }

    private static async Task<int> PruneAsync(Dictionary<string, string> options, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        var dryRun = options.ContainsKey("dry-run");
        var retention = services.GetRequiredService<RetentionService>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var report = dryRun ? await retention.PlanAsync(now) : await retention.PruneAsync(now);
        foreach (var (name, count) in report.Rows)
        {
            await stdout.WriteLineAsync($"{name} {count}");
        }

        await stderr.WriteLineAsync(dryRun ? "Dry run: nothing was deleted; these rows are past retention." : "Deleted the rows above.");
        return Ok;
    }

    private static async Task<string?> RequireOrgAsync(Dictionary<string, string> options, TextWriter stderr)
    {
        if (options.TryGetValue("org", out var orgId) && Ids.IsValid(orgId, Ids.Organization))
        {
            return orgId;
        }

        await stderr.WriteLineAsync("--org is required and must be an organization id (or-xxxxx-xxxxx-xxxxxxxxxxxxxxxx).");
        return null;
    }

    private static bool TryParseOptions(string[] args, string[] allowed, string[] flags, out Dictionary<string, string> options, out string? error)
    {
        options = new Dictionary<string, string>(StringComparer.Ordinal);
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                error = $"Unexpected argument: {arg}";
                return false;
            }

            var name = arg[2..];
            string value;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            else if (flags.Contains(name))
            {
                value = "true";
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else
            {
                error = $"--{name} needs a value.";
                return false;
            }

            if (!allowed.Contains(name))
            {
                error = $"Unknown option: --{name}";
                return false;
            }

            if (!options.TryAdd(name, value))
            {
                error = $"--{name} is given twice.";
                return false;
            }
        }

        return true;
    }
}
