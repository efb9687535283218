using RegistrationPortal.Web.Data;

namespace RegistrationPortal.BrowserTests.Infrastructure;

/// <summary>The checkout the tests run from (the folder that holds the solution file).</summary>
public static class Repository
{
    private static readonly Lazy<string> RootFolder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RegistrationPortal.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"{"RegistrationPortal.sln"} not found above {AppContext.BaseDirectory}.");
    });

    public static string Root => RootFolder.Value;
}
