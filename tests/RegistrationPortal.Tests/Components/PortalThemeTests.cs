using MudBlazor;
using MudBlazor.Utilities;
using RegistrationPortal.Web.Components.Layout;

namespace RegistrationPortal.Tests.Components;

/// <summary>
/// Every pair of colours the portal puts text on, in both palettes, reaches WCAG's 4.5:1: filled buttons, chips and
/// toasts (a colour under its contrast text), text and outlined buttons, links and status chips (a colour on the page
/// and on a card), the app bar and the drawer.
/// </summary>
public sealed class PortalThemeTests
{
    private const double Minimum = 4.5;

    public static TheoryData<string> Palettes => ["light", "dark"];

    [Theory]
    [MemberData(nameof(Palettes))]
    public void Text_on_every_colour_of_the_palette_has_at_least_4_5_to_1_contrast(string which)
    {
        Palette palette = which == "dark" ? PortalTheme.Theme.PaletteDark : PortalTheme.Theme.PaletteLight;
        var pairs = new List<(string What, MudColor Text, MudColor Background)>
        {
            ("app bar", palette.AppbarText, palette.AppbarBackground),
            ("text on the page", palette.TextPrimary, palette.Background),
            ("text on a card", palette.TextPrimary, palette.Surface),
            ("secondary text on a card", palette.TextSecondary, palette.Surface),
            ("drawer", palette.DrawerText, palette.DrawerBackground),
        };
        foreach (var (name, color, contrast) in new[]
                 {
                     ("Primary", palette.Primary, palette.PrimaryContrastText),
                     ("Secondary", palette.Secondary, palette.SecondaryContrastText),
                     ("Success", palette.Success, palette.SuccessContrastText),
                     ("Warning", palette.Warning, palette.WarningContrastText),
                     ("Error", palette.Error, palette.ErrorContrastText),
                     ("Info", palette.Info, palette.InfoContrastText),
                 })
        {
            pairs.Add(($"{name} filled", contrast, color));
            pairs.Add(($"{name} text on the page", color, palette.Background));
            pairs.Add(($"{name} text on a card", color, palette.Surface));
        }

        var failing = pairs
            .Select(p => (p.What, Ratio: Contrast(p.Text, p.Background)))
            .Where(p => p.Ratio < Minimum)
            .Select(p => FormattableString.Invariant($"{p.What} {p.Ratio:0.0}:1"))
            .ToList();
        Assert.True(failing.Count == 0, $"{which} palette below {Minimum}:1: {string.Join(", ", failing)}");
    }

    /// <summary>WCAG 2 contrast ratio; a translucent text colour is first laid over its background.</summary>
    private static double Contrast(MudColor text, MudColor background)
    {
        var alpha = text.A / 255.0;
        double Blend(byte fore, byte back) => (fore * alpha) + (back * (1 - alpha));
        var foreground = Luminance(Blend(text.R, background.R), Blend(text.G, background.G), Blend(text.B, background.B));
        var back = Luminance(background.R, background.G, background.B);
        return (Math.Max(foreground, back) + 0.05) / (Math.Min(foreground, back) + 0.05);
    }

    private static double Luminance(double r, double g, double b) => (0.2126 * Channel(r)) + (0.7152 * Channel(g)) + (0.0722 * Channel(b));

    private static double Channel(double value)
    {
        var c = value / 255.0;
        return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
    }
}
