using MudBlazor;

namespace RegistrationPortal.Web.Components.Layout;

public static class PortalTheme
{
    /// <summary>
    /// Colours chosen for at least 4.5:1 contrast of text on them, in both palettes (PortalThemeTests checks every
    /// pair). The dark palette takes light tones of the same hues with dark text on them, as Material's dark theme does:
    /// MudBlazor's own dark colours under white text give 1.9:1 to 3.5:1.
    /// </summary>
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
            PrimaryContrastText = "#0b1a33",
            Secondary = "#80cbc4",
            SecondaryContrastText = "#00201d",
            Info = "#7fcfff",
            InfoContrastText = "#00263a",
            Success = "#81c995",
            SuccessContrastText = "#07260f",
            Warning = "#fdd663",
            WarningContrastText = "#2b1d00",
            Error = "#f28b82",
            ErrorContrastText = "#2d0a07",
            Black = "#0b0c0f",
            Background = "#121418",
            BackgroundGray = "#1a1d23",
            Surface = "#1e2128",
            AppbarBackground = "#1b1f2a",
            AppbarText = "#e8eaed",
            DrawerBackground = "#1a1d23",
            DrawerText = "#e8eaed",
            DrawerIcon = "#c4c7cc",
            TextPrimary = "#e8eaed",
            TextSecondary = "#b8bcc4",
            ActionDefault = "#c4c7cc",
        },
    };
}
