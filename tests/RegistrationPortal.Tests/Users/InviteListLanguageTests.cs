using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Users;

namespace RegistrationPortal.Tests.Users;

public sealed class InviteListLanguageTests
{
    [Fact]
    public void A_language_column_gives_each_person_their_emails_language_as_people_write_it()
    {
        var list = InviteListParser.Parse("email,language,kind\nana@example.com,fr,EndUser\nben@example.com,Deutsch,\ncarla@example.com,es-MX,\ndan@example.com,,", UserKind.EndUser);

        Assert.Equal(["fr", "de", "es", null], list.Lines.Select(l => l.Language));
        Assert.Equal(4, list.Ready);
    }

    [Fact]
    public void An_unknown_language_keeps_the_line_out_and_says_which_languages_there_are()
    {
        var list = InviteListParser.Parse("language;email\nKlingon;ana@example.com\nen;ana@example.com", UserKind.EndUser);

        Assert.Equal([InviteLineStatus.UnknownLanguage, InviteLineStatus.Ready], list.Lines.Select(l => l.Status));
        Assert.Equal("Unknown language \"Klingon\" (use en, fr, de, es)", list.Lines[0].Problem);
        Assert.Equal(1, list.Invalid);
        Assert.Equal(1, list.Ready);
    }

    [Fact]
    public void Without_a_header_the_third_field_is_not_a_language()
    {
        var list = InviteListParser.Parse("ana@example.com,EndUser,fr", UserKind.CustomerEmployee);

        var line = Assert.Single(list.Lines);
        Assert.Null(line.Language);
        Assert.True(line.IsReady);
    }
}
