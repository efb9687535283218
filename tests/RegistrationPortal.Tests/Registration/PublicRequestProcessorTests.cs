using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using RegistrationPortal.Web.Features.Registration;

namespace RegistrationPortal.Tests.Registration;

/// <summary>
/// Which failures set a request aside: only one that is not the database's. A busy, unreachable or slow database
/// leaves every request waiting for the next try; setting them aside would leave them unresolved until a restart.
/// </summary>
public sealed class PublicRequestProcessorTests
{
    public static TheoryData<string> DatabaseFailures => ["sqlite busy", "postgres down", "timeout", "retries exhausted", "wrapped twice"];

    [Theory]
    [MemberData(nameof(DatabaseFailures))]
    public void A_failure_of_the_database_is_tried_again_later(string failure)
    {
        Exception ex = failure switch
        {
            "sqlite busy" => new SqliteException("database is locked", 5),
            "postgres down" => new NpgsqlException("Failed to connect"),
            "timeout" => new TimeoutException(),
            "retries exhausted" => new RetryLimitExceededException("Maximum number of retries exceeded", new NpgsqlException("Exception while reading from stream")),
            _ => new InvalidOperationException("outer", new AggregateException(new SqliteException("disk I/O error", 10))),
        };

        Assert.True(PublicRequestProcessor.IsDatabaseTrouble(ex));
    }

    [Fact]
    public void A_row_this_version_cannot_read_is_not_the_databases_failure()
    {
        var unreadable = new InvalidOperationException(
            "An error occurred while reading a database value for property 'PublicRequest.Kind'.",
            new ArgumentException("Requested value 'FromANewerVersion' was not found."));

        Assert.False(PublicRequestProcessor.IsDatabaseTrouble(unreadable));
    }
}
