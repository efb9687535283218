using System.Globalization;
using Microsoft.AspNetCore.Localization;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// The language of the public pages (<c>/register…</c>): the <c>culture</c> query parameter (the pages' language switch,
/// and the links of an email written in the person's language), else the browser's <c>Accept-Language</c>, else
/// English. Only those pages: the admin portal stays English, its dates and numbers as they always were.
/// </summary>
public static class PublicCulture
{
    public const string QueryKey = "culture";

    public static bool IsPublicPage(PathString path) => path.StartsWithSegments("/register", StringComparison.OrdinalIgnoreCase);

    public static IApplicationBuilder UsePublicPageCultures(this IApplicationBuilder app)
    {
        var cultures = PortalLanguages.Supported.Select(CultureInfo.GetCultureInfo).ToList();
        var options = new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture(PortalLanguages.Default),
            SupportedCultures = cultures,
            SupportedUICultures = cultures,
            FallBackToParentCultures = true,
            FallBackToParentUICultures = true,
            ApplyCurrentCultureToResponseHeaders = true,
        };
        options.RequestCultureProviders =
        [
            new QueryStringRequestCultureProvider { QueryStringKey = QueryKey, UIQueryStringKey = QueryKey },
            new AcceptLanguageHeaderRequestCultureProvider(),
        ];
        return app.UseWhen(context => IsPublicPage(context.Request.Path), branch => branch.UseRequestLocalization(options));
    }

    /// <summary>The language the request's public page speaks; English for every other page.</summary>
    public static string LanguageOf(HttpContext context) =>
        context.Features.Get<IRequestCultureFeature>()?.RequestCulture.UICulture.TwoLetterISOLanguageName is { } code && PortalLanguages.Supported.Contains(code)
            ? code
            : PortalLanguages.Default;
}
