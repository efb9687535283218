using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Registration.Pages;

/// <summary>A translated sentence with a piece of code in it (<c>{0}</c>): the words encoded, the code in <c>&lt;code&gt;</c>.</summary>
public static class PublicMarkup
{
    public static MarkupString WithCode(LocalizedString sentence, string code) =>
        new(string.Format(System.Globalization.CultureInfo.InvariantCulture, WebUtility.HtmlEncode(sentence.Value), $"<code>{WebUtility.HtmlEncode(code)}</code>"));
}

/// <summary>
/// The public forms' checks of email and organization id, in the page's language. Spaces around either are allowed
/// (<see cref="EmailAddress.IsValid"/> trims the address itself).
/// </summary>
public static class PublicValidation
{
    public static IEnumerable<ValidationResult> EmailAndOrgId(IStringLocalizer text, string email, string orgId, string emailMember, string orgIdMember)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            yield return new ValidationResult(text["Valid.EmailRequired"], [emailMember]);
        }
        else if (!EmailAddress.IsValid(email))
        {
            yield return new ValidationResult(text["Valid.Email"], [emailMember]);
        }

        if (string.IsNullOrWhiteSpace(orgId))
        {
            yield return new ValidationResult(text["Valid.OrgIdRequired"], [orgIdMember]);
        }
        else if (!Ids.IsValid(orgId.Trim(), Ids.Organization))
        {
            yield return new ValidationResult(text["Valid.OrgId"], [orgIdMember]);
        }
    }
}
