using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.Web.Features.Registration;

/// <summary>
/// The wrong-code limits of init, per client address: <see cref="RegistrationOptions.MaxFailedAttempts"/> for one
/// (organization, username) and <see cref="RegistrationOptions.MaxFailedAttemptsPerAddress"/> for all users, each within
/// <see cref="RegistrationOptions.FailedAttemptWindow"/>. The per-address counter is the row with an empty organization
/// and username.
/// </summary>
public static class AttemptLimits
{
    /// <summary>How long the address must wait before trying a code for this user, or null when it may try now.</summary>
    public static TimeSpan? Wait(IEnumerable<CodeAttemptCounter> counters, string orgId, string normalizedUsername, DateTimeOffset now, RegistrationOptions settings)
    {
        TimeSpan? wait = null;
        foreach (var counter in counters)
        {
            var perAddress = counter.OrgId.Length == 0;
            if (!perAddress && (counter.OrgId != orgId || counter.NormalizedUsername != normalizedUsername))
            {
                continue;
            }

            var limit = perAddress ? settings.MaxFailedAttemptsPerAddress : settings.MaxFailedAttempts;
            var left = counter.WindowStartedAt + settings.FailedAttemptWindow - now;
            if (counter.Failures >= limit && left > TimeSpan.Zero && (wait is null || left > wait))
            {
                wait = left;
            }
        }

        return wait;
    }

    /// <summary>
    /// In the caller's write, with the counters locked: how long the address must wait, or null when it may try now. The
    /// read before the write is only a shortcut; this check is the one that holds when many attempts run at once.
    /// </summary>
    public static async Task<(TimeSpan? Wait, List<CodeAttemptCounter> Counters)> CheckLockedAsync(PortalDbContext db, string orgId, string normalizedUsername, string address, DateTimeOffset now, RegistrationOptions settings)
    {
        var counters = await db.CodeAttemptCounters
            .Where(c => c.ClientAddress == address
                && ((c.OrgId == orgId && c.NormalizedUsername == normalizedUsername) || (c.OrgId == "" && c.NormalizedUsername == "")))
            .OrderBy(c => c.OrgId).ThenBy(c => c.NormalizedUsername)
            .ForUpdate()
            .ToListAsync();
        return (Wait(counters, orgId, normalizedUsername, now, settings), counters);
    }

    /// <summary>Counts one wrong code, for the user and for the address, on the counters <see cref="CheckLockedAsync"/> locked.</summary>
    public static void CountFailure(PortalDbContext db, List<CodeAttemptCounter> counters, string orgId, string normalizedUsername, string address, DateTimeOffset now, RegistrationOptions settings)
    {
        foreach (var (org, name) in new[] { ("", ""), (orgId, normalizedUsername) })
        {
            var counter = counters.FirstOrDefault(c => c.OrgId == org && c.NormalizedUsername == name);
            if (counter is null)
            {
                db.CodeAttemptCounters.Add(new CodeAttemptCounter
                {
                    OrgId = org,
                    NormalizedUsername = name,
                    ClientAddress = address,
                    Failures = 1,
                    WindowStartedAt = now,
                    LastFailureAt = now,
                });
                continue;
            }

            if (counter.WindowStartedAt + settings.FailedAttemptWindow <= now)
            {
                counter.WindowStartedAt = now;
                counter.Failures = 0;
            }

            counter.Failures++;
            counter.LastFailureAt = now;
        }
    }
}
