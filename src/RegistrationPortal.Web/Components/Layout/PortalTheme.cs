using MudBlazor;

namespace RegistrationPortal.Web.Components.Layout;

public static class PortalTheme
{
    /// <summary>Colours chosen for at least 4.5:1 contrast of text on them, in both palettes.</summary>
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f5fbf",
            Secondary = "#00695c",
            AppbarBackground = "#173f7a",
            AppbarText = "#ffffff",
            // MudBlazor's own status colours (#ff9800 warning, #00c853 success) give 2.2:1 on white: too faint for
            // the outlined status chips and for white snackbar text.
            Success = "#2e7d32",
            Warning = "#a04f00",
            Error = "#c62828",
            Info = "#1565c0",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8ab4f8",
            Secondary = "#80cbc4",
            AppbarBackground = "#1b1f2a",
        },
    };
}
