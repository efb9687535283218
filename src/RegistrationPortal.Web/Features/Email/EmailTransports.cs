using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace RegistrationPortal.Web.Features.Email;

/// <summary>Where mail goes: an SMTP server, or a pickup folder of .eml files.</summary>
public interface IEmailTransport
{
    /// <summary>Opens a session for one batch (one SMTP connection, reused for every message of the batch).</summary>
    Task<IEmailSession> OpenAsync(CancellationToken ct);
}

public interface IEmailSession : IAsyncDisposable
{
    Task SendAsync(MimeMessage message, CancellationToken ct);
}

public sealed class SmtpEmailTransport(IOptionsMonitor<EmailOptions> options) : IEmailTransport
{
    public async Task<IEmailSession> OpenAsync(CancellationToken ct)
    {
        var smtp = options.CurrentValue.Smtp;
        var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        try
        {
            var security = smtp.Security switch
            {
                SmtpSecurity.None => SecureSocketOptions.None,
                SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
                SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
                _ => SecureSocketOptions.Auto,
            };
            await client.ConnectAsync(smtp.Host ?? throw new InvalidOperationException("Email:Smtp:Host is not set."), smtp.Port, security, ct);
            if (!string.IsNullOrEmpty(smtp.Username))
            {
                await client.AuthenticateAsync(smtp.Username, smtp.Password ?? string.Empty, ct);
            }

            return new Session(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private sealed class Session(SmtpClient client) : IEmailSession
    {
        public Task SendAsync(MimeMessage message, CancellationToken ct) => client.SendAsync(message, ct);

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (client.IsConnected)
                {
                    await client.DisconnectAsync(quit: true);
                }
            }
            catch (Exception)
            {
                // The messages are already accepted or recorded as failed; a failed QUIT changes nothing.
            }
            finally
            {
                client.Dispose();
            }
        }
    }
}

/// <summary>Writes each message as an .eml file: the development mailbox, no mail server needed.</summary>
public sealed class PickupDirectoryEmailTransport(IOptionsMonitor<EmailOptions> options, IHostEnvironment environment) : IEmailTransport
{
    public string Directory => Path.GetFullPath(Path.Combine(environment.ContentRootPath, options.CurrentValue.PickupDirectory));

    public Task<IEmailSession> OpenAsync(CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(Directory);
        return Task.FromResult<IEmailSession>(new Session(Directory));
    }

    private sealed class Session(string directory) : IEmailSession
    {
        public async Task SendAsync(MimeMessage message, CancellationToken ct)
        {
            var name = $"{DateTime.UtcNow:yyyyMMddTHHmmssfff}-{Guid.NewGuid():N}.eml";
            var temp = Path.Combine(directory, "." + name + ".tmp");
            await using (var stream = File.Create(temp))
            {
                await message.WriteToAsync(stream, ct);
            }

            // A reader never sees a half-written file.
            File.Move(temp, Path.Combine(directory, name));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
