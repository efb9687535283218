namespace RegistrationPortal.BrowserTests.Infrastructure;

/// <summary>Screenshots go to <c>artifacts/screenshots/</c> at the repository's top (ignored by git), fresh every run.</summary>
public static class Screenshots
{
    private static readonly Lazy<string> Folder = new(() => Directory.CreateDirectory(Path.Combine(Repository.Root, "artifacts", "screenshots")).FullName);

    public static string PathFor(string fileName) => Path.Combine(Folder.Value, fileName);
}
