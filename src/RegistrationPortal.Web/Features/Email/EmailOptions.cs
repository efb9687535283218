using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using MimeKit;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.Web.Features.Email;

public enum SmtpSecurity
{
    /// <summary>STARTTLS when the server offers it (MailKit's Auto).</summary>
    Auto,
    None,
    StartTls,
    SslOnConnect,
}

public sealed class SmtpOptions
{
    /// <summary>When empty, mail is written as .eml files to <see cref="EmailOptions.PickupDirectory"/> instead.</summary>
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    public string? Username { get; set; }

    public string? Password { get; set; }

    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class EmailOptions : ICheckedOptions<EmailOptions>, IValidatableObject
{
    public const string Section = "Email";

    [Required]
    public string From { get; set; } = "RegistrationPortal <no-reply@registration-portal.invalid>";

    /// <summary>Folder of .eml files used when no SMTP host is set (relative to the content root).</summary>
    [Required]
    public string PickupDirectory { get; set; } = "data/mail";

    [ValidateObjectMembers]
    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>Turn the dispatcher off to leave messages queued (the command line does; a second host may).</summary>
    public bool DispatcherEnabled { get; set; } = true;

    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Wait after the first failure; each further failure doubles it, up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the dispatcher looks for due messages when nothing wakes it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Messages one sender claims and sends over one SMTP connection in a pass. Each pass costs a look for due mail, a
    /// claim, a read of what it claimed and a connection (greeting, <c>EHLO</c>, <c>QUIT</c>): at 100 rather than 50, the
    /// benchmark's host spent 536-648 µs of CPU a mail while draining instead of 573-771 and the SMTP server 342-446 µs
    /// instead of 389-503, and the dispatcher sent 1,508-1,854 mails/s instead of 1,225-1,707 (three alternating pairs;
    /// docs/benchmarks.md).
    /// </summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// How many batches one host sends at once, each over its own SMTP connection (the server's limit on connections
    /// from one client bounds it). A connection sends one message at a time and waits for the server's answer to each
    /// command, so one sender's rate is set by the round trips, not the cores: on the benchmark's machine, of the backlog
    /// a 10 s run of the doors at full rate left, 4,000-5,800 mails were still queued 10 s later with four senders, 80-820
    /// with eight.
    /// </summary>
    [Range(1, 32)]
    public int Senders { get; set; } = 8;

    /// <summary>
    /// How many of the <see cref="Senders"/> go on sending while the host is busy with requests (see
    /// <see cref="BusyRequests"/>); the others wait until it has been quiet for a second. On two shared cores the mail
    /// and the doors split the same CPU: with all eight sending through a burst, the benchmark's doors answered
    /// 5.3-7.0 % of the no-op's rate at a p99 of 67-105 ms; with four, 8.2-9.3 % at 54-63 ms, and all eight cleared the
    /// mail the burst left within 10 s after it in every run (5.3-9.9 s; docs/benchmarks.md). At least one always sends,
    /// so mail never stops under a sustained load.
    /// </summary>
    [Range(1, 32)]
    public int SendersUnderLoad { get; set; } = 4;

    /// <summary>
    /// Requests in flight at once that mark the host busy (see <see cref="SendersUnderLoad"/>); 0 never does, and every
    /// sender always sends.
    /// </summary>
    [Range(0, 100_000)]
    public int BusyRequests { get; set; } = 16;

    /// <summary>
    /// How long a dispatcher's claim on a batch lasts. Several hosts may dispatch from one database: each claims its
    /// batch first, so no message is sent by two; a host that dies mid-batch leaves its claim to lapse, and then another
    /// host sends what it had not. While it sends, a dispatcher renews its claim every third of the lease, so a slow
    /// mail server does not hand its messages to another; if the renewals fail, it starts no send it could not finish
    /// within the claim it last renewed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// SQLite: the shortest time between two checkpoints that cut erased payloads out of the WAL. Each holds every write
    /// back while it waits for readers and copies, syncs and truncates the log: one a second put the public resend's p99
    /// at 64 clients at 59-64 ms on the benchmark's machine, against 45-47 ms with none (docs/benchmarks.md). An erased
    /// payload stays in the WAL, encrypted, about this long after it is sent (longer while a reader on an old snapshot
    /// holds the checkpoint back).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ScrubInterval { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryDelay(int failedAttempts)
    {
        var factor = Math.Pow(2, Math.Clamp(failedAttempts - 1, 0, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(RetryBaseDelay.Ticks * factor, RetryMaxDelay.Ticks));
        return delay;
    }

    static IValidateOptions<EmailOptions> ICheckedOptions<EmailOptions>.Validator { get; } = new EmailOptionsValidator();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(From) && !MailboxAddress.TryParse(From, out _))
        {
            yield return new ValidationResult("is not a mail address (e.g. \"RegistrationPortal <no-reply@example.com>\")", [nameof(From)]);
        }
    }
}

public sealed class PortalOptions : ICheckedOptions<PortalOptions>
{
    public const string Section = "Portal";

    /// <summary>The address people reach this host at; links in emails start with it.</summary>
    [Required]
    [Url]
    public string PublicBaseUrl { get; set; } = "http://localhost:5243";

    static IValidateOptions<PortalOptions> ICheckedOptions<PortalOptions>.Validator { get; } = new PortalOptionsValidator();
}

[OptionsValidator]
internal sealed partial class EmailOptionsValidator : IValidateOptions<EmailOptions>;

[OptionsValidator]
internal sealed partial class PortalOptionsValidator : IValidateOptions<PortalOptions>;
