namespace RegistrationPortal.Web.Shared;

/// <summary>Which registration email a message is: the words (and an organization's template) differ.</summary>
public enum EmailKind
{
    /// <summary>A new code replacing earlier ones (a resend, a corrected address).</summary>
    Code,

    /// <summary>The first code, sent when the user is invited.</summary>
    Invitation,

    /// <summary>A sample of the invitation, sent to an admin who asked for a test email: no code of anyone's.</summary>
    InvitationSample,

    /// <summary>A sample of the resent-code email, sent to an admin who asked for a test email.</summary>
    CodeSample,

    /// <summary>An email to an admin (a password reset link): no registration code, composed by the Email feature's <c>AccountEmail</c>.</summary>
    Account,
}
