using Microsoft.EntityFrameworkCore;

namespace RegistrationPortal.Web.Data;

/// <summary>
/// Row locks for writes that read before they decide, in a provider-neutral shape. On PostgreSQL several hosts write
/// at once, each in its own transaction, so a row read to decide a write (a throttle counter, a user whose codes are
/// about to change) must be read with <c>SELECT … FOR UPDATE</c>: the read waits for another writer of those rows to
/// finish and then sees its committed version, and the rows stay locked until this transaction ends. On SQLite the
/// write transaction already holds the whole database (one writer at a time), so the tag is only a comment there.
/// </summary>
public static class RowLocks
{
    /// <summary>The query tag (an SQL comment first in the command) that PostgreSQL's interceptor turns into a locking clause.</summary>
    internal const string ForUpdateTag = "portal:for-update";

    internal const string SkipLockedTag = "portal:for-update-skip-locked";

    /// <summary>Reads the rows' latest committed version and locks them until the transaction ends.</summary>
    public static IQueryable<T> ForUpdate<T>(this IQueryable<T> query) => query.TagWith(ForUpdateTag);

    /// <summary>Like <see cref="ForUpdate{T}"/>, but passes over rows another transaction holds instead of waiting for them.</summary>
    public static IQueryable<T> ForUpdateSkipLocked<T>(this IQueryable<T> query) => query.TagWith(SkipLockedTag);
}
