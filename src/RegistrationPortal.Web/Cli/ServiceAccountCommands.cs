using System.CommandLine;
using System.Globalization;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.ServiceAccounts;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Cli;

/// <summary>
/// The <c>service-account</c> verbs: create one (printing its id, credential id and token, one a line, the token
/// shown this once), deactivate and reactivate it; part of <see cref="OperatorCli"/>'s commands.
/// </summary>
public static class ServiceAccountCommands
{
    private static readonly Actor Operator = Actor.Operator("cli");

    /// <summary>The <c>service-account</c> command and its verbs; <paramref name="run"/> runs a verb on the migrated database.</summary>
    internal static Command Build(OperatorCli.Context context, Func<Func<Task<int>>, Task<int>> run)
    {
        var (services, stdout, stderr) = (context.Services, context.Stdout, context.Stderr);
        var org = new Option<string>("--org") { Description = "The organization's id (or-xxxxx-xxxxx-xxxxxxxxxxxxxxxx)", Required = true };
        var name = new Option<string>("--name") { Description = "What the account is for, one line of text", Required = true };
        var publicKey = new Option<string>("--public-key") { Description = "A file with the PEM of the P-256 public key its signatures are checked with", Required = true };
        var readOnly = new Option<bool>("--read-only") { Description = "Users read only: changing calls get 403" };
        var expires = new Option<string>("--expires") { Description = "When its token stops working (ISO 8601, e.g. 2027-06-30T00:00:00Z); never without it" };
        var create = new Command("create", "Creates a service account for the users API; prints three lines: its id, its credential id, its token (shown only now)")
        {
            org, name, publicKey, readOnly, expires,
        };
        create.SetAction((r, _) => run(() => CreateAsync(r.GetValue(org), r.GetValue(name), r.GetValue(publicKey), r.GetValue(readOnly), r.GetValue(expires), services, stdout, stderr)));

        var id = new Option<string>("--id") { Description = "The service account's id (sa-xxxxx-xxxxx-xxxxxxxxxxxxxxxx)", Required = true };
        var deactivate = new Command("deactivate", "Refuses every call with its token from now on; prints the id") { id };
        deactivate.SetAction((r, _) => run(() => SetActiveAsync(false, r.GetValue(id), services, stdout, stderr)));
        var reactivate = new Command("reactivate", "Accepts its token again; prints the id") { id };
        reactivate.SetAction((r, _) => run(() => SetActiveAsync(true, r.GetValue(id), services, stdout, stderr)));

        return new Command("service-account", "Service accounts of the users API") { create, deactivate, reactivate };
    }

    private static async Task<int> CreateAsync(string? orgText, string? name, string? keyFile, bool readOnly, string? expiresText, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (await OperatorCli.OrgAsync(orgText, stderr) is not { } orgId)
        {
            return OperatorCli.BadInput;
        }

        if (ServiceAccountService.NameProblem(name) is { } nameProblem)
        {
            await stderr.WriteLineAsync($"--name: {nameProblem}");
            return OperatorCli.BadInput;
        }

        if (string.IsNullOrWhiteSpace(keyFile))
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
        if (expiresText is not null)
        {
            if (!DateTimeOffset.TryParse(expiresText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                await stderr.WriteLineAsync("--expires must be a date and time, e.g. 2027-06-30T00:00:00Z.");
                return OperatorCli.BadInput;
            }

            expiresAt = parsed.ToUniversalTime();
        }

        var outcome = await services.GetRequiredService<ServiceAccountService>()
            .CreateAsync(orgId, name, pem, canWrite: !readOnly, expiresAt, Operator);
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

    private static async Task<int> SetActiveAsync(bool active, string? id, IServiceProvider services, TextWriter stdout, TextWriter stderr)
    {
        if (id is null || !Ids.IsValid(id, ServiceAccount.IdPrefix))
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
