using System.Globalization;
using MudBlazor;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Users;

/// <summary>What an admin is told after deactivating, reactivating, correcting an address or inviting: the true outcome, in words.</summary>
public static class UserActionMessages
{
    public const string NotInOrganization = "That user is not in your organization; nothing changed.";

    public const string InvalidEmail = "Enter a valid email address, like name@example.com.";

    public static (string Message, Severity Severity) Deactivated(UserStateOutcome outcome) => outcome.Status switch
    {
        UserStateStatus.Changed => ($"{outcome.Email} is deactivated. {Codes(outcome.CodesInvalidated)} stopped working.", Severity.Success),
        UserStateStatus.Unchanged => ($"{outcome.Email} was already deactivated.", Severity.Info),
        UserStateStatus.AlreadyRegistered => ($"{outcome.Email} has already registered; nothing changed.", Severity.Info),
        _ => (NotInOrganization, Severity.Error),
    };

    public static (string Message, Severity Severity) Reactivated(UserStateOutcome outcome) => outcome.Status switch
    {
        UserStateStatus.Changed => ($"{outcome.Email} is active again. Send them a new code with Resend code.", Severity.Success),
        UserStateStatus.Unchanged => ($"{outcome.Email} was already active.", Severity.Info),
        UserStateStatus.AlreadyRegistered => ($"{outcome.Email} has already registered; nothing changed.", Severity.Info),
        _ => (NotInOrganization, Severity.Error),
    };

    public static (string Message, Severity Severity) EmailCorrected(CorrectEmailOutcome outcome, AdminClock? clock = null) => outcome.Status switch
    {
        CorrectEmailStatus.Sent => ($"Address corrected to {outcome.NewEmail}. The old code no longer works; a new code was sent, expiring {Time(outcome.ExpiresAt, clock)}.", Severity.Success),
        CorrectEmailStatus.InvalidEmail => (InvalidEmail, Severity.Warning),
        CorrectEmailStatus.SameEmail => ("That is already the user's address. To send them a new code, use Resend code.", Severity.Warning),
        CorrectEmailStatus.DuplicateEmail => ($"{outcome.NewEmail} is already a user of this organization. Open that user instead.", Severity.Warning),
        CorrectEmailStatus.AlreadyRegistered => ($"{outcome.OldEmail} has already registered; the address was not changed.", Severity.Info),
        CorrectEmailStatus.Deactivated => ($"{outcome.OldEmail} is deactivated; reactivate them first. The address was not changed.", Severity.Warning),
        _ => (NotInOrganization, Severity.Error),
    };

    public static string Invited(string email, InviteOutcome outcome, AdminClock? clock = null) =>
        $"Invited {email}. Their code expires {Time(outcome.ExpiresAt, clock)}.";

    public static string InviteProblem(string email, InviteOutcome outcome) => outcome.Status switch
    {
        InviteStatus.InvalidEmail => InvalidEmail,
        InviteStatus.DuplicateEmail => $"{email.Trim()} is already a user of this organization.",
        InviteStatus.UnknownOrganization => "This organization does not exist; nobody was invited.",
        _ => string.Empty,
    };

    public static string Summary(BulkInviteSummary summary) => string.Create(
        CultureInfo.InvariantCulture,
        $"Invited {summary.Invited}. Skipped {Count(summary.Duplicates, "duplicate")} ({summary.DuplicatesInList} repeated in the list, {summary.AlreadyInOrganization} already in the organization) and {Count(summary.Invalid, "invalid line")}. {summary.Failed} failed.");

    /// <summary>"1 line", "3 lines": a count with its noun in the right number, never "line(s)".</summary>
    public static string Count(int count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count:N0} {noun}{(count == 1 ? "" : "s")}");

    /// <summary>"2026-12-04 14:18 (UTC+01:00)": a time in a message, in the admin's zone and saying which.</summary>
    public static string Time(DateTimeOffset? at, AdminClock? clock) => at is { } value ? (clock ?? AdminClock.Utc).LocalWithZone(value) : "—";

    public static string Time(DateTimeOffset? at, bool seconds = false) =>
        at?.UtcDateTime.ToString(seconds ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "—";

    private static string Codes(int count) => count == 1 ? "1 outstanding code" : string.Create(CultureInfo.InvariantCulture, $"{count} outstanding codes");
}
