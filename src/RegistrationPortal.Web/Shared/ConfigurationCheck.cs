using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using MimeKit;

namespace RegistrationPortal.Web.Shared;

/// <summary>A setting that stops the host: the message is one line per problem, each naming its key.</summary>
public sealed class ConfigurationException(string message) : InvalidOperationException(message);

/// <summary>An options class bound from a section, checked as a whole (nested sections included) before the host serves.</summary>
public sealed record CheckedSection(Type OptionsType, string Section);

/// <summary>
/// Checks every setting before the host serves or a verb runs, and turns a problem into one line that names its key
/// (<c>Configuration error: Email:Smtp:Port: …</c>) instead of a stack trace. Data annotations are checked through
/// nested sections (<c>Api:RateLimit</c>, <c>Email:Smtp</c>), which <c>ValidateDataAnnotations</c> does not do.
/// </summary>
public static partial class ConfigurationCheck
{
    public const int ExitCode = 2;

    /// <summary>The passwords of the development seed, refused outside Development wherever they appear.</summary>
    private static readonly string[] DemoPasswords = ["demo-admin-password", "demo-platform-password"];

    /// <summary>
    /// Binds <typeparamref name="T"/> from <paramref name="section"/>, validates it through every nested section,
    /// and registers it for the start-up check (replaces <c>BindConfiguration().ValidateDataAnnotations().ValidateOnStart()</c>).
    /// </summary>
    public static OptionsBuilder<T> AddCheckedOptions<T>(this IServiceCollection services, string section)
        where T : class
    {
        services.AddSingleton(new CheckedSection(typeof(T), section));
        services.AddSingleton<IValidateOptions<T>>(new RecursiveValidator<T>(section));
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }

    /// <summary>Reads a section while the host is being built, with the same checks; throws <see cref="ConfigurationException"/>.</summary>
    public static T Read<T>(IConfiguration configuration, string section)
        where T : class, new()
    {
        T value;
        try
        {
            value = configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex) when (Describe(ex) is { } line)
        {
            throw new ConfigurationException(line);
        }

        var problems = Validate(value, section).ToList();
        if (problems.Count > 0)
        {
            throw new ConfigurationException(string.Join(Environment.NewLine, problems));
        }

        return value;
    }

    /// <summary>
    /// Resolves every checked section (binding and validating it) and the rules that span sections; throws one
    /// <see cref="ConfigurationException"/> listing every problem. Runs after the host is built, before it starts.
    /// </summary>
    public static void Validate(IServiceProvider services)
    {
        var problems = new List<string>();
        foreach (var checkedSection in services.GetServices<CheckedSection>().DistinctBy(s => s.OptionsType))
        {
            try
            {
                var options = services.GetRequiredService(typeof(IOptions<>).MakeGenericType(checkedSection.OptionsType));
                _ = options.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(options);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is { } inner)
            {
                problems.AddRange(Lines(inner));
            }
            catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException)
            {
                problems.AddRange(Lines(ex));
            }
        }

        var configuration = services.GetRequiredService<IConfiguration>();
        var environment = services.GetRequiredService<IHostEnvironment>();
        problems.AddRange(CrossSectionProblems(configuration, environment));
        if (problems.Count > 0)
        {
            throw new ConfigurationException(string.Join(Environment.NewLine, problems.Distinct()));
        }
    }

    /// <summary>The one-line text of a configuration problem, or null when the exception is something else.</summary>
    public static string? Describe(Exception ex)
    {
        if (ex is ConfigurationException)
        {
            return ex.Message;
        }

        if (ex is OptionsValidationException)
        {
            return string.Join(Environment.NewLine, Lines(ex));
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

    private static IEnumerable<string> Lines(Exception ex)
    {
        if (ex is OptionsValidationException validation)
        {
            // Our validator already wrote full lines; another validator's failures are kept as they are.
            return validation.Failures.SelectMany(f => f.Split(Environment.NewLine)).Select(f => f.StartsWith("Configuration error:", StringComparison.Ordinal) ? f : $"Configuration error: {validation.OptionsType.Name}: {f}");
        }

        return [Describe(ex) ?? $"Configuration error: {ex.Message.ReplaceLineEndings(" ")}"];
    }

    internal static IEnumerable<string> Validate(object value, string path)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);
        foreach (var result in results)
        {
            var members = result.MemberNames.Any() ? result.MemberNames : [""];
            foreach (var member in members)
            {
                yield return Line(member.Length == 0 ? path : $"{path}:{member}", result.ErrorMessage ?? "is not valid");
            }
        }

        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var type = property.PropertyType;
            if (property.GetIndexParameters().Length > 0 || !type.IsClass || type == typeof(string) || typeof(IEnumerable).IsAssignableFrom(type)
                || type.Namespace?.StartsWith("RegistrationPortal", StringComparison.Ordinal) != true)
            {
                continue;
            }

            if (property.GetValue(value) is { } nested)
            {
                foreach (var line in Validate(nested, $"{path}:{property.Name}"))
                {
                    yield return line;
                }
            }
        }
    }

    /// <summary>Rules that no single options class can check: the environment's demands and values other code parses later.</summary>
    internal static IEnumerable<string> CrossSectionProblems(IConfiguration configuration, IHostEnvironment environment)
    {
        var from = configuration["Email:From"];
        if (!string.IsNullOrWhiteSpace(from) && !MailboxAddress.TryParse(from, out _))
        {
            yield return Line("Email:From", "is not a mail address (e.g. \"RegistrationPortal <no-reply@example.com>\")");
        }

        var codeHashKey = configuration["Registration:CodeHashKey"];
        if (!string.IsNullOrWhiteSpace(codeHashKey) && !IsKey(codeHashKey))
        {
            yield return Line("Registration:CodeHashKey", "must be the base64 of at least 32 random bytes");
        }

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

    private static bool IsKey(string base64)
    {
        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64.Trim(), buffer, out var length) && length >= 32;
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

    private sealed class RecursiveValidator<T>(string section) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var problems = ConfigurationCheck.Validate(options, section).ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}

internal static class NetworkSettings
{
    public static bool TryParseNetwork(string text, out System.Net.IPNetwork network) => System.Net.IPNetwork.TryParse(text.Trim(), out network);

    public static bool TryParseAddress(string text, out IPAddress? address) => IPAddress.TryParse(text.Trim(), out address);
}
