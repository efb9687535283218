using Npgsql;
using RegistrationPortal.Web.Data.Postgres;

namespace RegistrationPortal.Tests.Data;

/// <summary>
/// On PostgreSQL the host keeps its frequent statements prepared on each pooled connection (Npgsql's automatic
/// preparation) unless the operator's connection string says otherwise, in either of its spellings.
/// </summary>
public sealed class PostgresConnectionTests
{
    [Fact]
    public void A_connection_string_that_does_not_say_keeps_statements_prepared()
    {
        const string given = "Host=db;Database=portal;Username=portal";
        Assert.Equal(PostgresSetup.AutoPrepared, PostgresSetup.WithAutoPrepare(new NpgsqlConnectionStringBuilder(given), given).MaxAutoPrepare);
    }

    [Theory]
    [InlineData("Host=db;Database=portal;Max Auto Prepare=0", 0)]
    [InlineData("Host=db;Database=portal;maxautoprepare=10", 10)]
    public void An_operators_own_setting_is_kept(string given, int expected)
    {
        Assert.Equal(expected, PostgresSetup.WithAutoPrepare(new NpgsqlConnectionStringBuilder(given), given).MaxAutoPrepare);
    }
}
