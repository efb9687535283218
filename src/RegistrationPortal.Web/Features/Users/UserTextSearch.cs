using Microsoft.EntityFrameworkCore;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;

namespace RegistrationPortal.Web.Features.Users;

/// <summary>
/// Substring search of users' emails: the only database-specific SQL of the users page. A term of three characters
/// or more is looked up in a trigram index: on SQLite the FTS5 table <c>UsersSearch</c> (see the migration that made
/// it), on PostgreSQL pg_trgm's GIN index on the normalized email, which serves <c>LIKE '%term%'</c>. Shorter terms,
/// which no trigram can serve, fall back to a plain substring comparison.
/// </summary>
public static class UserTextSearch
{
    /// <summary>PostgreSQL's trigram index over <c>Users.NormalizedUsername</c>.</summary>
    public const string PostgresIndexName = "IX_Users_NormalizedUsername_Trigram";

    /// <summary>The shortest term the trigram index answers.</summary>
    public const int MinIndexedLength = 3;

    /// <summary>
    /// A term with at most this many matches in the whole database is rare: the page is read from its matches (each
    /// looked up, then sorted). A commoner term is found sooner by reading the organization's users in page order and
    /// keeping those that match.
    /// </summary>
    public const int RareLimit = 5_000;

    public static bool IsIndexed(PortalDbContext db, string normalizedTerm) =>
        (db.Database.IsSqlite() || db.Database.IsNpgsql()) && Length(normalizedTerm) >= MinIndexedLength;

    /// <summary>
    /// The users whose normalized email contains <paramref name="normalizedTerm"/>, as the root of a query to compose
    /// further. With <paramref name="lookup"/> (and an indexed term) the query starts from the index's matches (a
    /// CROSS JOIN fixes SQLite's join order: otherwise it prefers walking the organization's index and probing the
    /// matches, which reads every user of the organization); without, it tests each user it reads.
    /// </summary>
    public static IQueryable<OrgUser> Matching(PortalDbContext db, string normalizedTerm, bool lookup)
    {
        if (db.Database.IsNpgsql())
        {
            // Npgsql turns Contains into strpos(), which no index serves; LIKE is what pg_trgm's GIN index answers.
            // The planner picks the index for a rare term and the organization's page order for a common one.
            var pattern = LikePattern(normalizedTerm);
            return db.OrgUsers.Where(u => EF.Functions.Like(u.NormalizedUsername, pattern, LikeEscape));
        }

        return lookup && IsIndexed(db, normalizedTerm)
            ? db.OrgUsers.FromSql($"""
                SELECT "Users".* FROM "UsersSearch" CROSS JOIN "Users" ON "Users".rowid = "UsersSearch".rowid
                WHERE "UsersSearch" MATCH {Phrase(normalizedTerm)}
                """)
            : db.OrgUsers.Where(u => u.NormalizedUsername.Contains(normalizedTerm));
    }

    /// <summary>Whether the term is indexed and has at most <see cref="RareLimit"/> matches (found without reading past them).</summary>
    public static async Task<bool> IsRareAsync(PortalDbContext db, string normalizedTerm, CancellationToken ct)
    {
        if (!IsIndexed(db, normalizedTerm))
        {
            return false;
        }

        if (db.Database.IsNpgsql())
        {
            var pattern = LikePattern(normalizedTerm);
            return await db.OrgUsers.Where(u => EF.Functions.Like(u.NormalizedUsername, pattern, LikeEscape)).Take(RareLimit + 1).CountAsync(ct) <= RareLimit;
        }

        var matches = await db.Database
            .SqlQuery<int>($"""
                SELECT COUNT(*) AS "Value" FROM (SELECT rowid FROM "UsersSearch" WHERE "UsersSearch" MATCH {Phrase(normalizedTerm)} LIMIT {RareLimit + 1})
                """)
            .SingleAsync(ct);
        return matches <= RareLimit;
    }

    /// <summary>
    /// The term as one FTS5 phrase: inside double quotes every character is literal text (a quote is doubled), so
    /// nothing the admin types is read as query syntax. A trigram phrase matches exactly the rows that contain it.
    /// </summary>
    internal static string Phrase(string term) => "\"" + term.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private const string LikeEscape = "\\";

    /// <summary>The term as a LIKE pattern that matches it anywhere, its wildcards and escape character taken literally.</summary>
    internal static string LikePattern(string term) =>
        "%" + term.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";

    /// <summary>Trigrams are made of characters (code points), not UTF-16 units.</summary>
    private static int Length(string term)
    {
        var count = 0;
        foreach (var _ in term.EnumerateRunes())
        {
            count++;
        }

        return count;
    }
}
