using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.IntegrationTests;

/// <summary>A pending user whose invitation code must survive every malformed request.</summary>
public class MalformedRequestFixture : QueuedMailPortalFixture
{
    public ErrorLog Errors { get; } = new();

    protected override Action<IServiceCollection>? Services => services => services.AddSingleton<ILoggerProvider>(Errors);

    public string OrgId { get; private set; } = "";

    public string Email { get; private set; } = "";

    public string UserId { get; private set; } = "";

    public string InvitationCode { get; private set; } = "";

    protected override async Task SeedAsync()
    {
        OrgId = await Factory.CreateOrganizationAsync();
        Email = PortalFactory.NewEmail("malformed");
        UserId = await Factory.InviteAsync(OrgId, Email);
        var queued = Assert.Single(await Factory.OutboxAsync(UserId));
        InvitationCode = Factory.UnprotectPayload(queued.ProtectedPayload!);
    }
}

public sealed class PostgresMalformedRequestFixture : MalformedRequestFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>
/// Every row of <see cref="MalformedRequests"/>: a 4xx in the Dfns shape, a message that names the field at fault
/// where the row has one, nothing in the error log, and the pending user's code untouched.
/// </summary>
/// <remarks>Runs once per database provider: <see cref="MalformedRequestTestsOnSqlite"/> and <see cref="MalformedRequestTestsOnPostgres"/>.</remarks>
public abstract class MalformedRequestTests(MalformedRequestFixture fixture)
{
    public static TheoryData<string> Cases => MalformedRequests.Names;

    [Fact]
    public void The_table_has_at_least_a_hundred_cases() => Assert.True(MalformedRequests.All.Count >= 100, $"{MalformedRequests.All.Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_malformed_request_gets_a_4xx_in_the_dfns_shape_and_the_valid_code_stays_valid(string name)
    {
        var malformed = MalformedRequests.All[name];
        var errorsBefore = fixture.Errors.Entries.Count;
        using var client = fixture.Factory.CreateClient();
        using var request = malformed.ToRequest(fixture.OrgId, fixture.Email);
        using var response = await client.SendAsync(request);

        // Bad input is the client's mistake: nothing for the operator's error log (no unhandled exception, no stack).
        Assert.Equal([], fixture.Errors.Entries.Skip(errorsBefore));

        Assert.InRange((int)response.StatusCode, 400, 499);
        var message = await DfnsApi.AssertErrorAsync(response, malformed.Status);
        if (malformed.MessageNames is not null)
        {
            Assert.Contains(malformed.MessageNames, message, StringComparison.Ordinal);
        }

        var valid = Assert.Single(await fixture.Factory.ValidCodesAsync(fixture.UserId));
        Assert.True(fixture.Factory.CodeMatches(fixture.InvitationCode, valid.CodeHash), "the invitation code is still the valid one");
    }
}

public sealed class MalformedRequestTestsOnSqlite(MalformedRequestFixture fixture) : MalformedRequestTests(fixture), IClassFixture<MalformedRequestFixture>;

public sealed class MalformedRequestTestsOnPostgres(PostgresMalformedRequestFixture fixture) : MalformedRequestTests(fixture), IClassFixture<PostgresMalformedRequestFixture>;
