using System.Text.RegularExpressions;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.BrowserTests.Infrastructure;

/// <summary>What a person reads in a received registration email.</summary>
public static partial class Mail
{
    /// <summary>The "ask for a new code" link of the text part.</summary>
    public static Uri SelfServiceLink(ReceivedMail mail)
    {
        var match = SelfServiceLinkPattern().Match(mail.Message.TextBody ?? "");
        Assert.True(match.Success, $"No self-service link in the email:{Environment.NewLine}{mail.Message.TextBody}");
        return new Uri(match.Value);
    }

    /// <summary>The "register here" link of the text part: the register page with email and organization filled in.</summary>
    public static Uri RegisterLink(ReceivedMail mail)
    {
        var match = RegisterLinkPattern().Match(mail.Message.TextBody ?? "");
        Assert.True(match.Success, $"No register link in the email:{Environment.NewLine}{mail.Message.TextBody}");
        return new Uri(match.Value);
    }

    public static string Code(ReceivedMail mail) =>
        mail.Code ?? throw new Xunit.Sdk.XunitException($"No code in the email:{Environment.NewLine}{mail.Message.TextBody}");

    [GeneratedRegex(@"https?://\S+/register/resend\?\S+")]
    private static partial Regex SelfServiceLinkPattern();

    [GeneratedRegex(@"https?://\S+/register\?\S+")]
    private static partial Regex RegisterLinkPattern();
}
