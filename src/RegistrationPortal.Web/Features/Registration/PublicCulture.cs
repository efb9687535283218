using System.Globalization;
using Microsoft.AspNetCore.Antiforgery;
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
        return app.UseWhen(context => IsPublicPage(context.Request.Path), branch => branch
            .Use((context, next) =>
            {
                // A public address answered by another page (not found, the error page: written in English) does not
                // say it speaks the language asked for: the path is that page's by the time the answer starts.
                context.Response.OnStarting(() =>
                {
                    if (!IsPublicPage(context.Request.Path))
                    {
                        context.Response.Headers.ContentLanguage = default;
                    }

                    return Task.CompletedTask;
                });
                return next(context);
            })
            .UseRequestLocalization(options));
    }

    /// <summary>The query parameter that tells a public page its last form was refused as expired.</summary>
    public const string FormExpiredKey = "formExpired";

    /// <summary>
    /// Whether the page is shown again after <see cref="UsePublicFormExpiry"/> refused its form (<c>formExpired=1</c> on a
    /// GET); any other value, typed by hand, is no such page.
    /// </summary>
    public static bool FormHadExpired(HttpContext context) =>
        !HttpMethods.IsPost(context.Request.Method) && context.Request.Query[FormExpiredKey] == "1";

    /// <summary>
    /// A public page's form posted without a valid antiforgery token (the page was open past its cookie's life, the
    /// cookies were cleared, the body was too large to read) is sent back to the same page, fresh, which says so in its
    /// language: the framework's own answer is a 400 with a sentence for developers, in English, outside the page.
    /// Nothing was done with the form.
    /// </summary>
    public static IApplicationBuilder UsePublicFormExpiry(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (!HttpMethods.IsPost(context.Request.Method) || !IsPublicPage(context.Request.Path)
                || context.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: false })
            {
                return next(context);
            }

            var query = QueryString.Create(context.Request.Query
                .Where(q => !string.Equals(q.Key, FormExpiredKey, StringComparison.OrdinalIgnoreCase))
                .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)))
                .Append(new KeyValuePair<string, string?>(FormExpiredKey, "1")));
            context.Response.StatusCode = StatusCodes.Status303SeeOther;
            context.Response.Headers.Location = $"{context.Request.PathBase}{context.Request.Path}{query}";
            return Task.CompletedTask;
        });

    /// <summary>The language the request's public page speaks; English for every other page (and for a public address answered by another one).</summary>
    public static string LanguageOf(HttpContext context) =>
        IsPublicPage(context.Request.Path)
            && context.Features.Get<IRequestCultureFeature>()?.RequestCulture.UICulture.TwoLetterISOLanguageName is { } code && PortalLanguages.Supported.Contains(code)
            ? code
            : PortalLanguages.Default;
}
