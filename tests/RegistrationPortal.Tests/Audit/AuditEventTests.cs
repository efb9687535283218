using RegistrationPortal.Web.Features.Audit;
using RegistrationPortal.Web.Features.Registration;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Tests.Audit;

/// <summary>An audit event fits its columns whatever its caller hands it: a guessed id, a long template.</summary>
public sealed class AuditEventTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_long_subject_and_long_details_are_cut_to_their_columns_the_details_ending_in_an_ellipsis()
    {
        var subject = new string('s', 200);
        var details = new string('d', 1500);

        var audit = AuditExtensions.Event(Now, "org", AuditActions.AccessDenied, Actor.Admin("admin", null), subject, details, "trace");

        Assert.Equal(subject[..AuditEvent.MaxSubjectLength], audit.SubjectId);
        Assert.Equal(AuditEvent.MaxDetailsLength, audit.Details!.Length);
        Assert.Equal(new string('d', AuditEvent.MaxDetailsLength - 1) + "…", audit.Details);
    }

    [Fact]
    public void Subjects_and_details_that_fit_are_kept_as_they_are()
    {
        var subject = new string('s', AuditEvent.MaxSubjectLength);
        var details = new string('d', AuditEvent.MaxDetailsLength);

        var audit = AuditExtensions.Event(Now, "org", AuditActions.BrandingChanged, Actor.Admin("admin", null), subject, details, "trace");
        var empty = AuditExtensions.Event(Now, "org", AuditActions.BrandingChanged, Actor.Admin("admin", null), null, null, "trace");

        Assert.Equal((subject, details), (audit.SubjectId, audit.Details));
        Assert.Equal((null, null), (empty.SubjectId, empty.Details));
    }
}
