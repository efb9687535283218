using Microsoft.Extensions.Configuration.Json;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// Development defaults live at the repository's top (<c>appsettings.Development.json</c>), where people look for them;
/// the build copies the file beside the executable (see the project file) and the host reads it from there, right after
/// the project's own appsettings files, so environment variables and the command line still override it. A published
/// host carries no such file.
/// </summary>
public static class BuildOutputSettings
{
    public static IHostApplicationBuilder AddBuildOutputSettings(this IHostApplicationBuilder builder)
    {
        var file = Path.Combine(AppContext.BaseDirectory, $"appsettings.{builder.Environment.EnvironmentName}.json");
        if (!File.Exists(file) || Path.GetDirectoryName(file) == Path.TrimEndingDirectorySeparator(builder.Environment.ContentRootPath))
        {
            // No such file, or the content root is the output folder and the host reads it there already.
            return builder;
        }

        var sources = ((IConfigurationBuilder)builder.Configuration).Sources;
        var index = sources.Select((s, i) => (s, i)).LastOrDefault(x => x.s is JsonConfigurationSource).i;
        var source = new JsonConfigurationSource { Path = file, Optional = true, ReloadOnChange = false };
        source.ResolveFileProvider();
        sources.Insert(index + 1, source);
        return builder;
    }
}
