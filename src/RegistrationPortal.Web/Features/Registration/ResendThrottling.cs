using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>Per (organization, username) limits: a cooldown between resends and a cap per rolling hour.</summary>
public static class ResendThrottling
{
    /// <summary>The window of <see cref="RegistrationOptions.MaxResendsPerHour"/>.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    /// <summary>
    /// <see cref="Check"/> as a query predicate: the rows that make a resend wait at <paramref name="now"/>, so a
    /// preview can count throttled users in the database.
    /// </summary>
    public static System.Linq.Expressions.Expression<Func<T, bool>> IsThrottling<T>(DateTimeOffset now, RegistrationOptions options)
        where T : ResendCounter
    {
        var cooldownSince = now - options.ResendCooldown;
        var windowSince = now - Window;
        var cap = options.MaxResendsPerHour;
        return t => t.LastRequestAt > cooldownSince || (t.WindowCount >= cap && t.WindowStartedAt > windowSince);
    }

    /// <summary>
    /// The last request time before which a counter holds no one back (older than both the cooldown and the hourly
    /// window): the next request finds it as it would find no counter at all, so retention may delete it.
    /// </summary>
    public static DateTimeOffset IdleBefore(DateTimeOffset now, RegistrationOptions options) =>
        now - (options.ResendCooldown > Window ? options.ResendCooldown : Window);

    /// <summary>How long to wait before the next resend is allowed, or null when it is allowed now.</summary>
    public static TimeSpan? Check(ResendCounter? row, DateTimeOffset now, RegistrationOptions options)
    {
        if (row is null)
        {
            return null;
        }

        var cooldownLeft = row.LastRequestAt + options.ResendCooldown - now;
        var windowLeft = row.WindowStartedAt + Window - now;
        var capLeft = row.WindowCount >= options.MaxResendsPerHour && windowLeft > TimeSpan.Zero ? windowLeft : TimeSpan.Zero;
        var wait = cooldownLeft > capLeft ? cooldownLeft : capLeft;
        return wait > TimeSpan.Zero ? wait : null;
    }

    /// <summary>How long the public doors' counter and the admins' together ask to wait (the longer), or null when neither holds anyone back.</summary>
    public static TimeSpan? Check(ResendThrottle? publicRow, AdminResendThrottle? adminRow, DateTimeOffset now, RegistrationOptions options) =>
        (Check(publicRow, now, options), Check(adminRow, now, options)) switch
        {
            (null, var admin) => admin,
            (var doors, null) => doors,
            (var doors, var admin) => doors > admin ? doors : admin,
        };

    /// <summary>Counts an admin's resend on the admins' counter (tracked: saved with the unit of work).</summary>
    public static void RecordAdmin(PortalDbContext db, AdminResendThrottle? row, string orgId, string normalizedUsername, DateTimeOffset now)
    {
        var next = NextAdmin(row, orgId, normalizedUsername, now);
        if (row is null)
        {
            db.AdminResendThrottles.Add(next);
            return;
        }

        row.LastRequestAt = next.LastRequestAt;
        row.WindowStartedAt = next.WindowStartedAt;
        row.WindowCount = next.WindowCount;
    }

    /// <summary>
    /// The admins' counter after one more resend at <paramref name="now"/> (the public doors count in SQL, see
    /// PublicRequestSql); <paramref name="row"/> itself is left as it was.
    /// </summary>
    public static AdminResendThrottle NextAdmin(AdminResendThrottle? row, string orgId, string normalizedUsername, DateTimeOffset now)
    {
        var windowOver = row is null || row.WindowStartedAt + Window <= now;
        return new AdminResendThrottle
        {
            OrgId = orgId,
            NormalizedUsername = normalizedUsername,
            LastRequestAt = now,
            WindowStartedAt = windowOver ? now : row!.WindowStartedAt,
            WindowCount = windowOver ? 1 : row!.WindowCount + 1,
        };
    }
}
