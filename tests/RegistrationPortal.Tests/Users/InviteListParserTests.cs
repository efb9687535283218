using System.Text;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Features.Users;

namespace RegistrationPortal.Tests.Users;

public sealed class InviteListParserTests
{
    [Fact]
    public void One_address_a_line_gets_the_default_kind()
    {
        var list = InviteListParser.Parse("ana@example.com\nben@example.com\n", UserKind.CustomerEmployee);

        Assert.Null(list.Error);
        Assert.Equal(["ana@example.com", "ben@example.com"], list.Lines.Select(l => l.Email));
        Assert.All(list.Lines, l => Assert.Equal(UserKind.CustomerEmployee, l.Kind));
        Assert.Equal(2, list.Ready);
    }

    /// <summary>
    /// Addresses copied from a web page or a chat bring invisible characters along: around an address they are dropped,
    /// so the copy is the same address (a duplicate here, or the user already invited); inside one, the line is refused.
    /// </summary>
    [Fact]
    public void Invisible_characters_around_a_pasted_address_are_dropped_and_one_inside_refuses_the_line()
    {
        var list = InviteListParser.Parse("ben@example.com\nben@example.com\u200B\n\uFEFFana@example.com\u00AD\nca\u200Brl@example.com\n", UserKind.EndUser);

        Assert.Equal(
            [
                ("ben@example.com", InviteLineStatus.Ready),
                ("ben@example.com", InviteLineStatus.DuplicateInList),
                ("ana@example.com", InviteLineStatus.Ready),
                ("ca\u200Brl@example.com", InviteLineStatus.InvalidEmail),
            ],
            list.Lines.Select(l => (l.Email, l.Status)));
    }

    [Fact]
    public void A_header_is_optional_and_may_put_kind_first()
    {
        var list = InviteListParser.Parse("Kind;E-mail\r\nEndUser;ana@example.com\r\ncustomer employee;ben@example.com", UserKind.CustomerEmployee);

        Assert.Equal(2, list.Lines.Count);
        Assert.Equal((2, "ana@example.com", UserKind.EndUser), (list.Lines[0].LineNumber, list.Lines[0].Email, list.Lines[0].Kind));
        Assert.Equal((3, "ben@example.com", UserKind.CustomerEmployee), (list.Lines[1].LineNumber, list.Lines[1].Email, list.Lines[1].Kind));
    }

    [Fact]
    public void A_header_without_a_kind_column_gives_every_line_the_default_kind()
    {
        var list = InviteListParser.Parse("email,name\nana@example.com,Ana Lopez", UserKind.CustomerEmployee);

        var line = Assert.Single(list.Lines);
        Assert.Equal(("ana@example.com", UserKind.CustomerEmployee, InviteLineStatus.Ready), (line.Email, line.Kind!.Value, line.Status));
    }

    [Fact]
    public void Kinds_are_read_as_people_write_them_and_an_empty_kind_takes_the_default()
    {
        var list = InviteListParser.Parse("a@example.com,end_user\nb@example.com,END-USER\nc@example.com,\nd@example.com,CustomerEmployee", UserKind.CustomerEmployee);

        Assert.Equal([UserKind.EndUser, UserKind.EndUser, UserKind.CustomerEmployee, UserKind.CustomerEmployee], list.Lines.Select(l => l.Kind!.Value));
        Assert.Equal(4, list.Ready);
    }

    [Fact]
    public void Invalid_addresses_and_unknown_kinds_are_marked_with_their_line_numbers()
    {
        var list = InviteListParser.Parse("email,kind\nnot-an-email,EndUser\n\nok@example.com,Robot\n,EndUser\nfine@example.com", UserKind.EndUser);

        Assert.Equal(
            [(2, InviteLineStatus.InvalidEmail), (4, InviteLineStatus.UnknownKind), (5, InviteLineStatus.InvalidEmail), (6, InviteLineStatus.Ready)],
            list.Lines.Select(l => (l.LineNumber, l.Status)));
        Assert.Equal("Not a valid email address", list.Lines[0].Problem);
        Assert.Equal("Unknown kind \"Robot\" (use CustomerEmployee or EndUser)", list.Lines[1].Problem);
        Assert.Equal("No email address", list.Lines[2].Problem);
        Assert.Equal(3, list.Invalid);
        Assert.Equal(1, list.Ready);
    }

    [Fact]
    public void A_repeated_address_ignoring_case_is_a_duplicate_of_its_first_line()
    {
        var list = InviteListParser.Parse("ana@example.com\nben@example.com\n ANA@Example.com \nana@example.com,EndUser", UserKind.EndUser);

        Assert.Equal([InviteLineStatus.Ready, InviteLineStatus.Ready, InviteLineStatus.DuplicateInList, InviteLineStatus.DuplicateInList], list.Lines.Select(l => l.Status));
        Assert.Equal("Repeats line 1", list.Lines[2].Problem);
        Assert.Equal(2, list.DuplicatesInList);
        Assert.Equal("ANA@Example.com", list.Lines[2].Email);
    }

    [Fact]
    public void Quoted_fields_a_byte_order_mark_and_tabs_are_understood()
    {
        var list = InviteListParser.Parse("\uFEFF\"email\",\"kind\"\n\"ana@example.com\",\"End User\"\nben@example.com\tCustomerEmployee", UserKind.CustomerEmployee);

        Assert.Equal([("ana@example.com", UserKind.EndUser), ("ben@example.com", UserKind.CustomerEmployee)], list.Lines.Select(l => (l.Email, l.Kind!.Value)));
    }

    [Fact]
    public void Marking_existing_addresses_leaves_problem_lines_alone()
    {
        var list = InviteListParser.Parse("ana@example.com\nben@example.com\nana@example.com\nbad", UserKind.EndUser)
            .MarkExisting(new HashSet<string> { "ANA@EXAMPLE.COM" });

        Assert.Equal([InviteLineStatus.AlreadyInOrganization, InviteLineStatus.Ready, InviteLineStatus.DuplicateInList, InviteLineStatus.InvalidEmail], list.Lines.Select(l => l.Status));
        Assert.Equal((1, 1, 1, 1), (list.Ready, list.AlreadyInOrganization, list.DuplicatesInList, list.Invalid));
    }

    [Fact]
    public void Ten_thousand_lines_are_accepted_and_one_more_is_refused_with_a_clear_message()
    {
        var lines = Enumerable.Range(0, InviteListParser.MaxLines).Select(i => $"user{i}@example.com");
        var header = "email\n";

        var atCap = InviteListParser.Parse(header + string.Join('\n', lines), UserKind.EndUser);
        var overCap = InviteListParser.Parse(header + string.Join('\n', lines.Append("one.more@example.com")), UserKind.EndUser);

        Assert.Null(atCap.Error);
        Assert.Equal(InviteListParser.MaxLines, atCap.Ready);
        Assert.Empty(overCap.Lines);
        Assert.Equal("The list has more than 10,000 lines. Split it into smaller lists and invite them one after another.", overCap.Error);
    }

    [Fact]
    public async Task More_than_one_megabyte_is_refused_pasted_or_uploaded()
    {
        var big = new string('a', InviteListParser.MaxBytes - 12) + "@example.com\n";
        await using var declared = new MemoryStream(Encoding.UTF8.GetBytes(big));
        await using var undeclared = new MemoryStream(Encoding.UTF8.GetBytes(big));

        Assert.Equal(InviteListParser.TooManyBytesMessage, InviteListParser.Parse(big, UserKind.EndUser).Error);
        Assert.Equal(InviteListParser.TooManyBytesMessage, (await InviteListParser.ParseAsync(declared, declared.Length, UserKind.EndUser)).Error);
        Assert.Equal(InviteListParser.TooManyBytesMessage, (await InviteListParser.ParseAsync(undeclared, null, UserKind.EndUser)).Error);
        Assert.Contains("1 MB", InviteListParser.TooManyBytesMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_uploaded_utf8_file_with_a_byte_order_mark_reads_like_pasted_text()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("email,kind\r\nzoë@example.com,EndUser\r\n")).ToArray();
        await using var stream = new MemoryStream(bytes);

        var list = await InviteListParser.ParseAsync(stream, bytes.Length, UserKind.CustomerEmployee);

        var line = Assert.Single(list.Lines);
        Assert.Equal(("zoë@example.com", UserKind.EndUser, 2), (line.Email, line.Kind!.Value, line.LineNumber));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n \r\n\t\n")]
    [InlineData("email,kind\n")]
    public void A_list_without_addresses_says_so(string text)
    {
        var list = InviteListParser.Parse(text, UserKind.EndUser);

        Assert.Equal(InviteListParser.EmptyMessage, list.Error);
    }
}
