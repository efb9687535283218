using Microsoft.Extensions.Configuration.Json;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// Development defaults live beside the solution (<c>appsettings.Development.json</c> at the repository's top),
/// where people look for them. When the host runs from a checkout, that file is read right after the
/// project's own appsettings files, so environment variables and the command line still override it.
/// </summary>
public static class RepositorySettings
{
    public const string SolutionFile = "RegistrationPortal.sln";

    public static IHostApplicationBuilder AddRepositorySettings(this IHostApplicationBuilder builder)
    {
        var fileName = $"appsettings.{builder.Environment.EnvironmentName}.json";
        var root = FindRepositoryRoot(builder.Environment.ContentRootPath) ?? FindRepositoryRoot(AppContext.BaseDirectory);
        if (root is null || !File.Exists(Path.Combine(root, fileName)))
        {
            return builder;
        }

        var sources = ((IConfigurationBuilder)builder.Configuration).Sources;
        var index = sources.Select((s, i) => (s, i)).LastOrDefault(x => x.s is JsonConfigurationSource).i;
        var source = new JsonConfigurationSource { Path = Path.Combine(root, fileName), Optional = true, ReloadOnChange = false };
        source.ResolveFileProvider();
        sources.Insert(index + 1, source);

        return builder;
    }

    internal static string? FindRepositoryRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
