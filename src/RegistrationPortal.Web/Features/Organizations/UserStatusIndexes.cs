using System.Linq.Expressions;

namespace RegistrationPortal.Web.Features.Organizations;

/// <summary>
/// A user's status as a query predicate and as the condition of the partial indexes that serve it. The two must stay
/// word for word alike: SQLite uses a partial index only when the query's WHERE clause contains the index's condition,
/// and <c>u.IsActive &amp;&amp; !u.IsRegistered</c> translates to <c>"u"."IsActive" AND NOT ("u"."IsRegistered")</c>.
/// A registered user counts as registered whether or not they were deactivated afterwards.
/// </summary>
public static class UserStatusIndexes
{
    public const string PendingSql = "\"IsActive\" AND NOT (\"IsRegistered\")";
    public const string RegisteredSql = "\"IsRegistered\"";
    public const string DeactivatedSql = "NOT (\"IsActive\") AND NOT (\"IsRegistered\")";

    public static readonly Expression<Func<OrgUser, bool>> Pending = u => u.IsActive && !u.IsRegistered;
    public static readonly Expression<Func<OrgUser, bool>> Registered = u => u.IsRegistered;
    public static readonly Expression<Func<OrgUser, bool>> Deactivated = u => !u.IsActive && !u.IsRegistered;

    /// <summary>Index name part and condition, per status.</summary>
    public static IEnumerable<(string Status, string Filter)> Filters =>
    [
        (nameof(UserStatus.Pending), PendingSql),
        (nameof(UserStatus.Registered), RegisteredSql),
        (nameof(UserStatus.Deactivated), DeactivatedSql),
    ];

    public static IQueryable<OrgUser> WithStatus(this IQueryable<OrgUser> users, UserStatusFilter status) => status switch
    {
        UserStatusFilter.Pending => users.Where(Pending),
        UserStatusFilter.Registered => users.Where(Registered),
        UserStatusFilter.Deactivated => users.Where(Deactivated),
        _ => users,
    };
}
