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
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8ab4f8",
            Secondary = "#80cbc4",
            AppbarBackground = "#1b1f2a",
        },
    };
}
