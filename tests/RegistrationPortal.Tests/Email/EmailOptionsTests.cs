using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.Tests.Email;

public sealed class EmailOptionsTests
{
    [Fact]
    public void Retry_delays_double_and_stop_at_the_maximum()
    {
        var options = new EmailOptions { RetryBaseDelay = TimeSpan.FromSeconds(10), RetryMaxDelay = TimeSpan.FromMinutes(1) };
        Assert.Equal(TimeSpan.FromSeconds(10), options.RetryDelay(1));
        Assert.Equal(TimeSpan.FromSeconds(20), options.RetryDelay(2));
        Assert.Equal(TimeSpan.FromSeconds(40), options.RetryDelay(3));
        Assert.Equal(TimeSpan.FromMinutes(1), options.RetryDelay(4));
        Assert.Equal(TimeSpan.FromMinutes(1), options.RetryDelay(60));
    }

    /// <summary>What the README's first run relies on with no Email or Portal settings: mail is sent by the dispatcher
    /// into the data/mail folder, from an address a mail client can read, with links to the host on port 5243.</summary>
    [Fact]
    public void With_no_settings_mail_goes_to_the_data_mail_folder_from_a_readable_sender_with_links_to_port_5243()
    {
        var options = new EmailOptions();
        Assert.True(options.DispatcherEnabled);
        Assert.Null(options.Smtp.Host);
        Assert.Equal("data/mail", options.PickupDirectory);
        Assert.Equal("registration-portal.invalid", MimeKit.MailboxAddress.Parse(options.From).Domain);
        Assert.Equal(new Uri("http://localhost:5243"), new Uri(new PortalOptions().PublicBaseUrl));
    }
}
