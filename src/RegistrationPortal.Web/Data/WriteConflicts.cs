using Npgsql;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// Errors that mean another writer got there first, not that the work is wrong: run the work again and it decides on
/// what that writer committed. Only PostgreSQL, where several hosts write at once, raises them: a unique key that a
/// concurrent transaction inserted first (a nonce, a throttle counter, an email), a deadlock between two hosts' write
/// batches, a serialization failure.
/// </summary>
internal static class WriteConflicts
{
    public static bool IsRaceLost(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure })
            {
                return true;
            }
        }

        return false;
    }
}
