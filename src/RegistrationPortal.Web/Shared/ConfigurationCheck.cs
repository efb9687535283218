using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace RegistrationPortal.Web.Shared;

/// <summary>A setting that stops the host: the message is one line per problem, each naming its key.</summary>
public sealed class ConfigurationException(string message) : InvalidOperationException(message);

/// <summary>
/// An options class with its source-generated validator (<c>[OptionsValidator]</c>; nested sections through
/// <c>[ValidateObjectMembers]</c>), so that a feature registers it with <c>AddCheckedOptions&lt;T&gt;(section)</c> alone.
/// </summary>
public interface ICheckedOptions<TSelf>
    where TSelf : class
{
    static abstract IValidateOptions<TSelf> Validator { get; }
}

/// <summary>
/// Checks every setting before the host serves or a verb runs, and turns a problem into one line that names its key
/// (<c>Configuration error: Email:Smtp:Port: …</c>) instead of a stack trace. Each section is checked by its
/// generated validator on <c>ValidateOnStart</c>; what spans sections is <see cref="CrossSectionProblems"/>.
/// </summary>
public static partial class ConfigurationCheck
{
    public const int ExitCode = 2;

    /// <summary>The passwords of the development seed, refused outside Development wherever they appear.</summary>
    private static readonly string[] DemoPasswords = ["demo-admin-password", "demo-platform-password"];

    /// <summary>Binds <typeparamref name="T"/> from <paramref name="section"/>, checked by its generated validator at start.</summary>
    public static OptionsBuilder<T> AddCheckedOptions<T>(this IServiceCollection services, string section)
        where T : class, ICheckedOptions<T>
    {
        services.AddSingleton<IValidateOptions<T>>(new SectionValidator<T>(section, T.Validator));

        // BindConfiguration, except that a value the binder cannot read is a validation failure like the others: the
        // start check collects those from every section, where the binder's own exception would end it at the first.
        services.AddSingleton<IOptionsChangeTokenSource<T>>(sp => new ConfigurationChangeTokenSource<T>(Options.DefaultName, sp.GetRequiredService<IConfiguration>()));

        // A change saved while the host runs is taken only when valid (LastValidOptions), never the end of the host.
        services.AddSingleton<IOptionsMonitor<T>>(sp => new LastValidOptions<T>(
            sp.GetRequiredService<IOptionsFactory<T>>(),
            sp.GetServices<IOptionsChangeTokenSource<T>>(),
            sp.GetRequiredService<ILogger<LastValidOptions<T>>>(),
            section));
        return services.AddOptions<T>()
            .Configure<IConfiguration>((options, configuration) =>
            {
                try
                {
                    configuration.GetSection(section).Bind(options);
                }
                catch (InvalidOperationException ex) when (Describe(ex) is { } line)
                {
                    throw new OptionsValidationException(Options.DefaultName, typeof(T), [line]);
                }
            })
            .ValidateOnStart();
    }

    /// <summary>
    /// Reads a section registered with <see cref="AddCheckedOptions{T}"/> while the host is being built. A wrong section
    /// reads as its defaults here: the start check, which runs before the host serves or a verb runs, reports it with
    /// every other problem.
    /// </summary>
    public static T Read<T>(IConfiguration configuration, string section)
        where T : class, ICheckedOptions<T>, new()
    {
        try
        {
            var value = configuration.GetSection(section).Get<T>() ?? new T();
            return T.Validator.Validate(section, value).Failed ? new T() : value;
        }
        catch (InvalidOperationException ex) when (Describe(ex) is not null)
        {
            return new T();
        }
    }

    /// <summary>
    /// Runs every <c>ValidateOnStart</c> check now (a verb never starts the host) and the rules that span sections;
    /// throws one <see cref="ConfigurationException"/> listing every problem. Runs after the host is built.
    /// </summary>
    public static void Validate(IServiceProvider services)
    {
        var problems = new List<string>();
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (Exception ex) when (Describe(ex) is { } lines)
        {
            problems.Add(lines);
        }

        problems.AddRange(CrossSectionProblems(services.GetRequiredService<IConfiguration>(), services.GetRequiredService<IHostEnvironment>()));
        if (problems.Count > 0)
        {
            throw new ConfigurationException(string.Join(Environment.NewLine, problems));
        }
    }

    /// <summary>The one-line-per-problem text of a configuration problem, or null when the exception is something else.</summary>
    public static string? Describe(Exception ex)
    {
        switch (ex)
        {
            case ConfigurationException:
                return ex.Message;
            case OptionsValidationException validation:
                // Our validators already wrote full lines; another validator's failures are kept as they are.
                return string.Join(Environment.NewLine, validation.Failures.Select(f =>
                    f.StartsWith("Configuration error:", StringComparison.Ordinal) ? f : Line(validation.OptionsType.Name, f)));
            case AggregateException aggregate when aggregate.InnerExceptions.All(e => e is OptionsValidationException):
                // ValidateOnStart's answer when more than one section is wrong.
                return string.Join(Environment.NewLine, aggregate.InnerExceptions.Select(e => Describe(e)));
        }

        // The binder's words: "Failed to convert configuration value at 'Email:Smtp:Port' to type 'System.Int32'."
        if (ex is InvalidOperationException && BinderFailure().Match(ex.Message) is { Success: true } match)
        {
            var type = match.Groups["type"].Value;
            var shortType = type[(type.LastIndexOf('.') + 1)..];
            var target = typeof(ConfigurationCheck).Assembly.GetType(type);
            var hint = target is { IsEnum: true } ? $" (one of {string.Join(", ", Enum.GetNames(target))})" : Hint(shortType);
            return Line(match.Groups["key"].Value, $"cannot be read as {Article(shortType)} {shortType}{hint}");
        }

        return null;
    }

    public static string Line(string key, string problem) => $"Configuration error: {key}: {problem}";

    /// <summary>
    /// One failure of a generated validator run with the section as the options' name, as a line naming its key. The
    /// generator writes <c>Port: The field Email.Smtp.Port must be between 1 and 65535.</c>: the member, then the message,
    /// whose field name is the dotted path from the section (a custom <c>ErrorMessage</c> on a nested section names it
    /// with <c>{0}</c>). A class's own <c>IValidatableObject</c> names members such as <c>KnownNetworks:0</c>.
    /// </summary>
    internal static string SectionLine(string section, string failure)
    {
        var colon = failure.IndexOf(": ", StringComparison.Ordinal);
        if (colon <= 0)
        {
            return Line(section, failure);
        }

        var member = failure[..colon];
        var message = failure[(colon + 2)..];
        var path = Regex.Match(message, $@"\b{Regex.Escape(section)}(?:\.\w+)*\.{Regex.Escape(member)}\b");
        return path.Success
            ? Line(path.Value.Replace('.', ':'), message.Replace(path.Value, member, StringComparison.Ordinal))
            : Line($"{section}:{member}", message);
    }

    /// <summary>Rules that no single options class can check: the environment's demands on several sections.</summary>
    internal static IEnumerable<string> CrossSectionProblems(IConfiguration configuration, IHostEnvironment environment)
    {
        if (!environment.IsProduction())
        {
            yield break;
        }

        if (configuration.GetValue<bool>("Seed:Demo:Enabled"))
        {
            yield return Line("Seed:Demo:Enabled", "the development demo seed must be off in Production");
        }

        foreach (var key in new[] { "Seed:Demo:AdminPassword", "Seed:Demo:PlatformAdminPassword" })
        {
            if (!string.IsNullOrEmpty(configuration[key]))
            {
                yield return Line(key, "a demo password must not be configured in Production");
            }
        }

        var demoSecret = configuration.AsEnumerable()
            .FirstOrDefault(kv => kv.Value is { Length: > 0 } v && DemoPasswords.Contains(v, StringComparer.Ordinal) && !kv.Key.StartsWith("Seed:Demo:", StringComparison.OrdinalIgnoreCase));
        if (demoSecret.Key is not null)
        {
            yield return Line(demoSecret.Key, "holds a development demo password, refused in Production");
        }

        if (string.IsNullOrWhiteSpace(configuration["Email:Smtp:Host"]))
        {
            yield return Line("Email:Smtp:Host", "is required in Production (without it mail only goes to the pickup folder)");
        }

        if (string.IsNullOrWhiteSpace(configuration[Data.KeyEncryption.PathKey]))
        {
            yield return Line(Data.KeyEncryption.PathKey, "is required in Production: a PFX certificate (RSA, with its private key) that encrypts the Data Protection keys kept in the database; keep it outside the database and its backups");
        }

        var publicBaseUrl = configuration["Portal:PublicBaseUrl"];
        if (Uri.TryCreate(publicBaseUrl, UriKind.Absolute, out var url) && (url.IsLoopback || url.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)))
        {
            yield return Line("Portal:PublicBaseUrl", "must be the address people reach this host at, not a loopback address, in Production");
        }
    }

    private static string Article(string type) => "AEIOU".Contains(type[0], StringComparison.Ordinal) ? "an" : "a";

    private static string Hint(string type) => type switch
    {
        "TimeSpan" => " (write d.hh:mm:ss, e.g. 00:05:00 or 3.00:00:00)",
        "Boolean" => " (true or false)",
        _ => "",
    };

    [GeneratedRegex("^Failed to convert configuration value.* at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex BinderFailure();

    /// <summary>Runs a generated validator with the section as the name its messages start from, one line per failure.</summary>
    private sealed class SectionValidator<T>(string section, IValidateOptions<T> generated) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var result = generated.Validate(section, options);
            return result.Failed ? ValidateOptionsResult.Fail(result.Failures.Select(f => SectionLine(section, f))) : result;
        }
    }
}

internal static class NetworkSettings
{
    public static bool TryParseNetwork(string text, out System.Net.IPNetwork network) => System.Net.IPNetwork.TryParse(text.Trim(), out network);

    public static bool TryParseAddress(string text, out IPAddress? address) => IPAddress.TryParse(text.Trim(), out address);
}
