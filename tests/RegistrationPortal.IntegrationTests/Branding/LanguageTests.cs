using System.Globalization;
using System.Net;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Features.Users;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.Branding;

/// <summary>The registration emails in the person's language, as they arrive through a real SMTP server.</summary>
public sealed class LanguageTests(MailPortalFixture fixture) : IClassFixture<MailPortalFixture>
{
    private PortalFactory Host => fixture.Factory;

    private SmtpServer Smtp => fixture.Smtp;

    public static TheoryData<string, string, string, string, string> Languages => new()
    {
        // language, invitation subject, resend subject, greeting, "register" link text of the HTML part
        { "en", "Your registration code for {0}", "Your new registration code for {0}", "Hello,", "Register with this code" },
        { "fr", "Votre code d'inscription pour {0}", "Votre nouveau code d'inscription pour {0}", "Bonjour,", "S'inscrire avec ce code" },
        { "de", "Ihr Registrierungscode für {0}", "Ihr neuer Registrierungscode für {0}", "Guten Tag,", "Mit diesem Code registrieren" },
        { "es", "Su código de registro para {0}", "Su nuevo código de registro para {0}", "Hola:", "Registrarse con este código" },
    };

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task The_invitation_and_a_resent_code_arrive_in_the_persons_language_with_the_date_written_their_way(
        string language, string invitationSubject, string resendSubject, string greeting, string registerLink)
    {
        var orgName = $"Société Ø {Guid.NewGuid():N}"[..24];
        var orgId = await Host.CreateOrganizationAsync(orgName);
        var email = PortalFactory.NewEmail("lang-" + language);
        var invited = await Host.Services.GetRequiredService<RegistrationService>()
            .InviteAsync(orgId, email, UserKind.EndUser, Actor.Operator("test"), language);
        Assert.Equal(InviteStatus.Invited, invited.Status);
        var audited = await Host.WithDbAsync(db => db.AuditEvents.SingleAsync(a => a.SubjectId == invited.UserId && a.Action == AuditActions.UserInvited));
        Assert.Equal(language == PortalLanguages.Default ? "kind EndUser" : $"kind EndUser, language {language}", audited.Details);

        var invitation = Assert.Single(await Smtp.WaitForMessagesAsync(email));
        Assert.Equal(string.Format(CultureInfo.InvariantCulture, invitationSubject, orgName), invitation.Message.Subject);
        AssertInLanguage(invitation, language, greeting, registerLink, invited.ExpiresAt!.Value);

        using var client = Host.CreateClient();
        await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, email));
        var resent = (await Smtp.WaitForMessagesAsync(email, 2))[^1];
        Assert.Equal(string.Format(CultureInfo.InvariantCulture, resendSubject, orgName), resent.Message.Subject);
        var expires = (await Host.ValidCodesAsync(invited.UserId!)).Single().ExpiresAt;
        AssertInLanguage(resent, language, greeting, registerLink, expires);
    }

    [Fact]
    public async Task An_admin_changes_a_users_language_on_record_and_the_next_code_comes_in_it()
    {
        var orgId = await Host.CreateOrganizationAsync();
        var email = PortalFactory.NewEmail("lang-change");
        var userId = await Host.InviteAsync(orgId, email);
        Assert.StartsWith("Your registration code", Assert.Single(await Smtp.WaitForMessagesAsync(email)).Message.Subject, StringComparison.Ordinal);
        var languages = Host.Services.GetRequiredService<UserLanguageService>();
        var scope = ScopeOf(orgId);

        Assert.Equal("en", await languages.GetAsync(scope, userId));
        Assert.Equal(LanguageChangeStatus.Changed, await languages.ChangeAsync(scope, userId, "de", "192.0.2.7"));
        Assert.Equal(LanguageChangeStatus.Unchanged, await languages.ChangeAsync(scope, userId, "DE", "192.0.2.7"));
        Assert.Equal(LanguageChangeStatus.UnknownLanguage, await languages.ChangeAsync(scope, userId, "tlh", "192.0.2.7"));

        var audit = await Host.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(a => a.SubjectId == userId && a.Action == AuditActions.UserLanguageChanged).ToListAsync());
        var changed = Assert.Single(audit);
        Assert.Equal("from en to de", changed.Details);
        Assert.Equal("192.0.2.7", changed.ClientAddress);

        var resent = await Host.Services.GetRequiredService<RegistrationService>().ResendAsync(orgId, email, Actor.Operator("test"));
        Assert.Equal(ResendStatus.Sent, resent.Status);
        Assert.StartsWith("Ihr neuer Registrierungscode", (await Smtp.WaitForMessagesAsync(email, 2))[^1].Message.Subject, StringComparison.Ordinal);

        // Another organization's admin neither reads nor changes it; the attempt is on record.
        var stranger = ScopeOf(await Host.CreateOrganizationAsync());
        Assert.Null(await languages.GetAsync(stranger, userId));
        Assert.Equal(LanguageChangeStatus.Unknown, await languages.ChangeAsync(stranger, userId, "fr", null));
        Assert.Equal("de", await languages.GetAsync(scope, userId));
        Assert.Equal(1, await Host.WithDbAsync(db => db.AuditEvents.CountAsync(a => a.OrgId == stranger.OrgId && a.Action == AuditActions.AccessDenied && a.SubjectId == userId)));
    }

    private static void AssertInLanguage(ReceivedMail mail, string language, string greeting, string registerLink, DateTimeOffset expiresAt)
    {
        var culture = CultureInfo.GetCultureInfo(language);
        var text = mail.Message.TextBody!;
        var html = WebUtility.HtmlDecode(mail.Message.HtmlBody!);
        var day = culture.DateTimeFormat.GetDayName(expiresAt.UtcDateTime.DayOfWeek);
        var month = culture.DateTimeFormat.GetMonthName(expiresAt.UtcDateTime.Month);
        foreach (var part in new[] { text, html })
        {
            Assert.Contains(greeting, part, StringComparison.Ordinal);
            Assert.Contains(mail.Code!, part, StringComparison.Ordinal);
            Assert.Contains($"{day}", part, StringComparison.Ordinal);
            Assert.Contains($"{expiresAt.UtcDateTime.Day.ToString(CultureInfo.InvariantCulture)}{(language == "de" ? "." : "")} {(language == "es" ? "de " : "")}{month}", part, StringComparison.Ordinal);
            Assert.Contains(expiresAt.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture) + " UTC", part, StringComparison.Ordinal);
        }

        Assert.Contains($"<html lang=\"{language}\">", mail.Message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains(registerLink, html, StringComparison.Ordinal);

        // The links open the public pages in the same language (English needs no parameter: it is the default).
        var culturePart = language == "en" ? "" : $"&culture={language}";
        Assert.Matches($@"/register\?email=[^&\s]+&orgId=[^&\s]+{culturePart}(\s|$)", text);
        Assert.Matches($@"/register/resend\?email=[^&\s]+&orgId=[^&\s]+{culturePart}(\s|$)", text);
    }

    private static AdminScope ScopeOf(string orgId) => AdminScope.For(new ClaimsPrincipal(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, "admin-" + orgId), new Claim(ClaimTypes.Role, PortalRoles.OrgAdmin), new Claim(PortalRoles.OrgClaim, orgId)],
        "test")))!;
}
