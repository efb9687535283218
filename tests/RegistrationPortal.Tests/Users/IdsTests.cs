using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Tests.Users;

public sealed class IdsTests
{
    [Theory]
    [InlineData(Ids.Organization)]
    [InlineData(Ids.User)]
    [InlineData(Ids.Application)]
    [InlineData(Ids.Credential)]
    public void New_ids_have_the_dfns_shape(string prefix)
    {
        var id = Ids.New(prefix);
        Assert.Matches($"^{prefix}-[a-z0-9]{{5}}-[a-z0-9]{{5}}-[a-z0-9]{{16}}$", id);
        Assert.True(Ids.IsValid(id, prefix));
        Assert.NotEqual(id, Ids.New(prefix));
    }

    [Theory]
    [InlineData("or-34513-nip9c-8bppvgqgj28dbodrc", true)]
    [InlineData("or-34513-nip9c-8bppvgqgj28dbodr", true)]
    [InlineData("or-34513-nip9c-8bppvgqgj28dbod", false)]
    [InlineData("or-34513-nip9c-8bppvgqgj28dbodrcx", false)]
    [InlineData("OR-34513-nip9c-8bppvgqgj28dbodrc", false)]
    [InlineData("or-34513-NIP9C-8bppvgqgj28dbodrc", false)]
    [InlineData("us-34513-nip9c-8bppvgqgj28dbodrc", false)]
    [InlineData("or-3451-nip9c-8bppvgqgj28dbodrc", false)]
    [InlineData("or-34513_nip9c-8bppvgqgj28dbodrc", false)]
    [InlineData("or-34513-nip9c-8bppvgqgj28dbodrc ", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Organization_ids_are_checked_exactly(string? value, bool valid)
    {
        Assert.Equal(valid, Ids.IsValid(value, Ids.Organization));
    }
}
