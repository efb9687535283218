using System.Globalization;
using RegistrationPortal.Web;
using RegistrationPortal.Web.Cli;
using RegistrationPortal.Web.Shared;

// One executable: the web host, or an operator verb (`-- org create --name N`) on the same settings and services.
// The process speaks no language of its own (dates and numbers as in invariant mode); the public pages and the
// registration emails choose theirs per request and per person.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
var isCommand = OperatorCli.IsCommand(args);
WebApplication app;
try
{
    app = PortalHost.Build(args, isCommand);

    // Every setting is read and checked before anything runs: a wrong one stops here with one line naming its key.
    ConfigurationCheck.Validate(app.Services);
}
catch (Exception ex) when (ConfigurationCheck.Describe(ex) is { } problem)
{
    await Console.Error.WriteLineAsync(problem);
    return ConfigurationCheck.ExitCode;
}

await using (app)
{
    return isCommand ? await PortalHost.RunCommandAsync(app, args) : await PortalHost.ServeAsync(app);
}

namespace RegistrationPortal.Web
{
    /// <summary>The web assembly's marker, for tests and tools that host it (the tests' own top-level code would shadow <c>Program</c>).</summary>
    public sealed class PortalMarker;
}
