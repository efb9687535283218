using Microsoft.JSInterop;

namespace RegistrationPortal.Web.Components.Shared;

/// <summary>A file the admin chose in a page's file input, which the browser hands over when the page reads it.</summary>
public static class ChosenFile
{
    public const string Unreadable = "The file could not be read: was it changed or removed after it was chosen? Choose it again.";

    /// <summary>
    /// Whether reading the file failed because the browser could not give it (changed, moved or removed after it was
    /// chosen, or bigger than it said), which the page answers with <see cref="Unreadable"/>.
    /// </summary>
    public static bool CouldNotBeRead(Exception ex) => ex is IOException or JSException;
}
