using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>
/// A real SMTP server on loopback: Debian's aiosmtpd writing every message to a Maildir. It can be stopped and
/// started again on the same port, and it can be created stopped (the port reserved) to simulate an outage.
/// A scripted one (<see cref="StartScriptedAsync"/>, the handler in <c>scripted_smtp.py</c>) can also defer, refuse or
/// hold what is sent to an address (<see cref="SetRule"/>) and logs every attempt (<see cref="Events"/>).
/// One started by <see cref="StartWithLoginAsync"/> (<c>login_smtp.py</c>) takes mail only after a login with one user's
/// password.
/// </summary>
public sealed class SmtpServer : IAsyncDisposable
{
    // Debian's interpreter: the python3 first on PATH is a separate build without Debian's packages.
    private const string Python = "/usr/bin/python3";

    private readonly ConcurrentDictionary<string, ReceivedMail> _parsed = new(StringComparer.Ordinal);
    private readonly StringBuilder _output = new();
    private readonly Dictionary<string, string> _rules = new(StringComparer.Ordinal);
    private readonly bool _scripted;
    private readonly (string User, string Password)? _login;
    private Process? _process;

    private SmtpServer(int port, string directory, bool scripted = false, (string User, string Password)? login = null)
    {
        Port = port;
        Directory = directory;
        _scripted = scripted;
        _login = login;
    }

    public int Port { get; }

    /// <summary>The temporary folder that holds the Maildir; removed on dispose.</summary>
    public string Directory { get; }

    private string Maildir => Path.Combine(Directory, "maildir");

    private string RulesPath => Path.Combine(Directory, "rules.json");

    private string LogPath => Path.Combine(Directory, "attempts.log");

    /// <summary>A server on a free port, not running yet.</summary>
    public static SmtpServer Reserve() =>
        new(FreeTcpPort(), System.IO.Directory.CreateTempSubdirectory("regportal-smtp-").FullName);

    public static async Task<SmtpServer> StartNewAsync()
    {
        var server = Reserve();
        await server.StartAsync();
        return server;
    }

    /// <summary>A running scripted server: accepts everything until <see cref="SetRule"/> says otherwise.</summary>
    public static async Task<SmtpServer> StartScriptedAsync()
    {
        var server = new SmtpServer(FreeTcpPort(), System.IO.Directory.CreateTempSubdirectory("regportal-smtp-").FullName, scripted: true);
        await server.StartAsync();
        return server;
    }

    /// <summary>A running server that offers AUTH (PLAIN, LOGIN) without TLS and takes mail only from <paramref name="user"/> logged in with <paramref name="password"/>.</summary>
    public static async Task<SmtpServer> StartWithLoginAsync(string user, string password)
    {
        var server = new SmtpServer(FreeTcpPort(), System.IO.Directory.CreateTempSubdirectory("regportal-smtp-").FullName, login: (user, password));
        await server.StartAsync();
        return server;
    }

    /// <summary>What the scripted server does with mail to <paramref name="address"/> ("*": everyone without a rule of their own) from now on.</summary>
    public void SetRule(string address, SmtpRule rule)
    {
        if (!_scripted)
        {
            throw new InvalidOperationException("Only a scripted SMTP server takes rules.");
        }

        lock (_rules)
        {
            _rules[address == "*" ? address : address.ToLowerInvariant()] = rule switch
            {
                SmtpRule.Accept => "accept",
                SmtpRule.DeferRcpt => "defer-rcpt",
                SmtpRule.RefuseRcpt => "refuse-rcpt",
                SmtpRule.DeferData => "defer-data",
                SmtpRule.RefuseData => "refuse-data",
                SmtpRule.RefuseDataVerbose => "refuse-data-verbose",
                SmtpRule.HoldData => "hold-data",
                SmtpRule.StallFirstData => "stall-first-data",
                _ => throw new ArgumentOutOfRangeException(nameof(rule)),
            };

            // Replaced in one rename, so the server never reads half a file.
            var next = RulesPath + ".next";
            File.WriteAllText(next, System.Text.Json.JsonSerializer.Serialize(_rules));
            File.Move(next, RulesPath, overwrite: true);
        }
    }

    /// <summary>Every command the scripted server answered (and every message it began to answer), in order.</summary>
    public IReadOnlyList<SmtpEvent> Events()
    {
        if (!File.Exists(LogPath))
        {
            return [];
        }

        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var events = new List<SmtpEvent>();
        while (reader.ReadLine() is { } line)
        {
            var fields = line.Split('\t');
            if (fields.Length >= 2)
            {
                events.Add(new SmtpEvent(fields[0], fields[1], fields.Length > 2 ? int.Parse(fields[2], CultureInfo.InvariantCulture) : null));
            }
        }

        return events;
    }

    /// <summary>How many times a client named <paramref name="address"/> as a recipient (each delivery attempt does once).</summary>
    public int RecipientAttempts(string address) =>
        Events().Count(e => e.Command == "RCPT" && string.Equals(e.Address, address, StringComparison.OrdinalIgnoreCase));

    public async Task StartAsync()
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("The SMTP server is already running.");
        }

        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var port = Port.ToString(CultureInfo.InvariantCulture);
        string[] arguments = (_scripted, _login) switch
        {
            (_, { } login) => ["-m", "login_smtp", port, Maildir, login.User, login.Password],
            (true, _) => ["-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "scripted_smtp.ScriptedMailbox", Maildir, RulesPath, LogPath],
            _ => ["-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", Maildir],
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (_scripted || _login is not null)
        {
            // scripted_smtp.py and login_smtp.py are copied next to the test assembly.
            start.Environment["PYTHONPATH"] = Path.Combine(AppContext.BaseDirectory, "Infrastructure");
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start aiosmtpd.");
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        await Wait.WaitUntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"aiosmtpd exited with {process.ExitCode}: {Output}");
                }

                return await AcceptsConnectionsAsync();
            },
            $"the SMTP server accepts connections on port {Port}");
    }

    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }

    /// <summary>Every message delivered so far, in delivery order.</summary>
    public IReadOnlyList<ReceivedMail> Messages()
    {
        var inbox = Path.Combine(Maildir, "new");
        if (!System.IO.Directory.Exists(inbox))
        {
            return [];
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(inbox))
        {
            _parsed.GetOrAdd(Path.GetFileName(file), name => ReceivedMail.Load(file, name));
        }

        return _parsed.Values.OrderBy(m => m.Order).ToList();
    }

    public IReadOnlyList<ReceivedMail> MessagesTo(string address) =>
        Messages().Where(m => m.IsTo(address)).ToList();

    /// <summary>Waits until <paramref name="address"/> has received at least <paramref name="count"/> messages; returns them in order.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> WaitForMessagesAsync(string address, int count = 1)
    {
        await Wait.WaitUntilAsync(() => MessagesTo(address).Count >= count, $"{address} has {count} message(s)");
        return MessagesTo(address);
    }

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task<bool> AcceptsConnectionsAsync()
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>What a scripted SMTP server does with mail to an address.</summary>
public enum SmtpRule
{
    Accept,

    /// <summary>451 to RCPT TO: try again later.</summary>
    DeferRcpt,

    /// <summary>550 to RCPT TO: no such mailbox.</summary>
    RefuseRcpt,

    /// <summary>451 after the message's data.</summary>
    DeferData,

    /// <summary>554 after the message's data.</summary>
    RefuseData,

    /// <summary>554 after the message's data, explained over five lines: over 500 characters in all.</summary>
    RefuseDataVerbose,

    /// <summary>The message is stored (delivered) but the server's 250 answer waits until the rule changes.</summary>
    HoldData,

    /// <summary>
    /// The first message to the address waits, not yet stored, until the rule changes; the ones after it are stored and
    /// answered meanwhile.
    /// </summary>
    StallFirstData,
}

/// <summary>
/// One line of the scripted server's log: RCPT (with its reply code), DATA-START, DATA-STALLED, DATA-HELD, or DATA
/// (with its reply code), each with the recipient's address; or EHLO (a session begins) and QUIT (it ends politely),
/// each with the client's port in place of an address.
/// </summary>
public sealed record SmtpEvent(string Command, string Address, int? Code);

/// <summary>One delivered message, with the registration code it carries.</summary>
public sealed partial class ReceivedMail
{
    private ReceivedMail(MimeMessage message, (long Seconds, long Micros, long Counter) order)
    {
        Message = message;
        Order = order;
        Code = CodePattern().Match(message.TextBody ?? string.Empty) is { Success: true } match ? match.Value : null;
    }

    public MimeMessage Message { get; }

    /// <summary>The code in the text part, or null when there is none.</summary>
    public string? Code { get; }

    /// <summary>Delivery order from the Maildir name: seconds, microseconds and the server's message counter.</summary>
    public (long Seconds, long Micros, long Counter) Order { get; }

    public bool IsTo(string address) =>
        Message.To.Mailboxes.Any(m => string.Equals(m.Address, address, StringComparison.OrdinalIgnoreCase));

    internal static ReceivedMail Load(string path, string name)
    {
        var parts = MaildirName().Match(name);
        var order = parts.Success
            ? (long.Parse(parts.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(parts.Groups[2].Value, CultureInfo.InvariantCulture), long.Parse(parts.Groups[3].Value, CultureInfo.InvariantCulture))
            : (long.MaxValue, 0L, 0L);
        return new ReceivedMail(MimeMessage.Load(path), order);
    }

    [GeneratedRegex(@"\b[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}\b")]
    private static partial Regex CodePattern();

    // Python's mailbox.Maildir names: "<seconds>.M<microseconds>P<pid>Q<counter>.<host>".
    [GeneratedRegex(@"^(\d+)\.M(\d+)P\d+Q(\d+)\.")]
    private static partial Regex MaildirName();
}
