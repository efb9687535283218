using System.Globalization;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.ServiceAccounts;

namespace RegistrationPortal.Web.Cli;

/// <summary>
/// The <c>service-account</c> verbs: create one (printing its id, credential id and token, one a line, the token
/// shown this once), deactivate and reactivate it. Kept apart from <see cref="OperatorCli"/>'s table so they move to
/// another command-line parser as they are.
/// </summary>
public static class ServiceAccountCommands
{
    public const string Verb = "service-account";

    public static string Usage => """
        Usage: RegistrationPortal.Web service-account <create|deactivate|reactivate> [options]
          service-account create --org ORG_ID --name NAME --public-key FILE [--read-only] [--expires ISO-8601]
                                     creates a service account for the users API with the P-256 public key in FILE (PEM);
                                     prints three lines: its id, its credential id, its token (shown only now)
          service-account deactivate --id SA_ID    refuses every call with its token from now on; prints the id
          service-account reactivate --id SA_ID    accepts its token again; prints the id
        """;

    private static readonly Actor Operator = Actor.Operator("cli");

    private static readonly Dictionary<string, string[]> Verbs = new(StringComparer.Ordinal)
    {
        ["create"] = ["org", "name", "public-key", "read-only", "expires"],
        ["deactivate"] = ["id"],
        ["reactivate"] = ["id"],
    };

    private static readonly string[] Flags = ["read-only"];

    public static bool Handles(string[] args) => args.Length > 0 && args[0] == Verb;

    public static async Task<int> RunAsync(string[] args, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length < 2 || !Verbs.TryGetValue(args[1], out var allowed))
        {
            await stderr.WriteLineAsync(args.Length < 2 ? Usage : $"Unknown command: {Verb} {args[1]}\n{Usage}");
            return OperatorCli.BadInput;
        }

        if (!OperatorCli.TryParseOptions(args[2..], allowed, Flags, out var options, out var error))
        {
            await stderr.WriteLineAsync($"{error}\n{Usage}");
            return OperatorCli.BadInput;
        }

        var database = services.GetRequiredService<PortalDatabase>();
        using var databaseLock = database.TryLock(exclusive: false);
        if (databaseLock is null && File.Exists(database.FilePath))
        {
            await stderr.WriteLineAsync($"The database {database.FilePath} is being restored; try again when the restore has finished.");
            return OperatorCli.BadInput;
        }

        await services.PreparePortalDatabaseAsync(migrate: true, then: s =>
        {
            s.WarmUpRegistrationKeys();
            return Task.CompletedTask;
        });

        return args[1] == "create"
            ? await CreateAsync(options, services, stdout, stderr)
            : await SetActiveAsync(args[1] == "reactivate", options, services, stdout, stderr);
    }

    private static async Task<int> CreateAsync(Dictionary<string, string> options, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (!options.TryGetValue("org", out var orgId) || !Ids.IsValid(orgId, Ids.Organization))
        {
            await stderr.WriteLineAsync("--org is required and must be an organization id (or-xxxxx-xxxxx-xxxxxxxxxxxxxxxx).");
            return OperatorCli.BadInput;
        }

        options.TryGetValue("name", out var name);
        if (ServiceAccountService.NameProblem(name) is { } nameProblem)
        {
            await stderr.WriteLineAsync($"--name: {nameProblem}");
            return OperatorCli.BadInput;
        }

        if (!options.TryGetValue("public-key", out var keyFile) || string.IsNullOrWhiteSpace(keyFile))
        {
            await stderr.WriteLineAsync("--public-key is required: a file with the PEM of a P-256 public key.");
            return OperatorCli.BadInput;
        }

        string pem;
        try
        {
            pem = await File.ReadAllTextAsync(keyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"--public-key: cannot read {keyFile}: {ex.Message}");
            return OperatorCli.BadInput;
        }

        DateTimeOffset? expiresAt = null;
        if (options.TryGetValue("expires", out var expiresText))
        {
            if (!DateTimeOffset.TryParse(expiresText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                await stderr.WriteLineAsync("--expires must be a date and time, e.g. 2027-06-30T00:00:00Z.");
                return OperatorCli.BadInput;
            }

            expiresAt = parsed.ToUniversalTime();
        }

        var outcome = await services.GetRequiredService<ServiceAccountService>()
            .CreateAsync(orgId, name, pem, canWrite: !options.ContainsKey("read-only"), expiresAt, Operator);
        if (outcome.Status != CreateServiceAccountStatus.Created)
        {
            await stderr.WriteLineAsync(outcome.Status == CreateServiceAccountStatus.UnknownOrganization
                ? $"No organization has the id {orgId}."
                : $"{(outcome.Status == CreateServiceAccountStatus.InvalidPublicKey ? "--public-key" : "--expires")}: {outcome.Problem}");
            return OperatorCli.BadInput;
        }

        await stdout.WriteLineAsync(outcome.Id);
        await stdout.WriteLineAsync(outcome.CredId);
        await stdout.WriteLineAsync(outcome.Token);
        await stderr.WriteLineAsync("The token is shown only now: store it where the program reads its secrets.");
        return OperatorCli.Ok;
    }

    private static async Task<int> SetActiveAsync(bool active, Dictionary<string, string> options, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (!options.TryGetValue("id", out var id) || !Ids.IsValid(id, ServiceAccount.IdPrefix))
        {
            await stderr.WriteLineAsync("--id is required and must be a service account id (sa-xxxxx-xxxxx-xxxxxxxxxxxxxxxx).");
            return OperatorCli.BadInput;
        }

        var status = await services.GetRequiredService<ServiceAccountService>().SetActiveAsync(null, id, active, Operator);
        if (status == ServiceAccountChangeStatus.NotFound)
        {
            await stderr.WriteLineAsync($"No service account has the id {id}.");
            return OperatorCli.BadInput;
        }

        await stdout.WriteLineAsync(id);
        if (status == ServiceAccountChangeStatus.Unchanged)
        {
            await stderr.WriteLineAsync(active ? "It was already active." : "It was already deactivated.");
        }

        return OperatorCli.Ok;
    }
}
