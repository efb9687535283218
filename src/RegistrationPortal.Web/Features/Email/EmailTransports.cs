using System.Net;
using System.Net.Sockets;
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

/// <summary>
/// Mail over SMTP with MailKit. Each session is one connection with a thread of its own, spoken to with MailKit's
/// synchronous API over a blocking socket: waiting for each of the server's answers (four a message when it offers no
/// pipelining) is one blocking read. With the asynchronous API every answer went from the socket engine's thread to a
/// thread-pool worker, and the workers woke, spun and slept again around each one: about 80 context switches a message
/// against 4, and a third of the host's CPU per message (see docs/benchmarks.md).
/// </summary>
public sealed class SmtpEmailTransport(IOptionsMonitor<EmailOptions> options) : IEmailTransport
{
    public async Task<IEmailSession> OpenAsync(CancellationToken ct)
    {
        var smtp = options.CurrentValue.Smtp;
        if (string.IsNullOrEmpty(smtp.Host))
        {
            throw new InvalidOperationException("Email:Smtp:Host is not set.");
        }

        ct.ThrowIfCancellationRequested();
        var connection = new Connection(smtp);
        await connection.Opened;
        return connection;
    }

    /// <summary>
    /// One SMTP connection and its thread. The thread connects, then sends each message handed to it in turn until the
    /// session is disposed, and says goodbye. What awaits a send goes on, when it can, on this thread: the dispatcher
    /// composes its next message here and hands it over without waking anyone.
    /// </summary>
    private sealed class Connection : IEmailSession
    {
        private readonly SmtpOptions _smtp;
        private readonly object _gate = new();
        private readonly TaskCompletionSource _opened = new();
        private readonly TaskCompletionSource _closed = new();
        private Work? _next;
        private bool _closing;

        public Connection(SmtpOptions smtp)
        {
            _smtp = smtp;
            // Not the opener's context: each send brings its own (below).
            new Thread(Run) { IsBackground = true, Name = "SMTP connection" }.UnsafeStart();
        }

        public Task Opened => _opened.Task;

        public Task SendAsync(MimeMessage message, CancellationToken ct)
        {
            var sent = new TaskCompletionSource();
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_closing, this);
                if (_next is not null)
                {
                    throw new InvalidOperationException("A session sends one message at a time.");
                }

                // The sender's context goes with the message, so MailKit's spans and logs belong to the send that asked.
                _next = new Work(message, sent, ExecutionContext.Capture(), ct);
                Monitor.Pulse(_gate);
            }

            return sent.Task;
        }

        public async ValueTask DisposeAsync()
        {
            lock (_gate)
            {
                _closing = true;
                Monitor.Pulse(_gate);
            }

            await _closed.Task;
        }

        private void Run()
        {
            SmtpClient client;
            try
            {
                client = Connect();
            }
            catch (Exception ex)
            {
                _closed.SetResult();
                _opened.SetException(ex);
                return;
            }

            try
            {
                _opened.SetResult();
                while (Take() is { } work)
                {
                    try
                    {
                        Send(client, work);
                    }
                    catch (Exception ex)
                    {
                        work.Sent.SetException(ex);
                        continue;
                    }

                    work.Sent.SetResult();
                }
            }
            finally
            {
                try
                {
                    if (client.IsConnected)
                    {
                        client.Disconnect(quit: true);
                    }
                }
                catch (Exception)
                {
                    // The messages are already accepted or recorded as failed; a failed QUIT changes nothing.
                }
                finally
                {
                    client.Dispose();
                    _closed.SetResult();
                }
            }
        }

        /// <summary>Sends in the sender's context, when it lets one flow.</summary>
        private static void Send(SmtpClient client, Work work)
        {
            if (work.Context is null)
            {
                Deliver((client, work));
            }
            else
            {
                ExecutionContext.Run(work.Context, Deliver, (client, work));
            }
        }

        private static void Deliver(object? state)
        {
            var (client, work) = ((SmtpClient, Work))state!;
            client.Send(work.Message, work.Ct);
        }

        /// <summary>The next message to send, or null once the session is disposed.</summary>
        private Work? Take()
        {
            lock (_gate)
            {
                while (_next is null && !_closing)
                {
                    Monitor.Wait(_gate);
                }

                var next = _next;
                _next = null;
                return next;
            }
        }

        private sealed record Work(MimeMessage Message, TaskCompletionSource Sent, ExecutionContext? Context, CancellationToken Ct);

        private SmtpClient Connect()
        {
            var timeout = (int)_smtp.Timeout.TotalMilliseconds;
            var socket = ConnectSocket(_smtp.Host!, _smtp.Port, timeout);
            var client = new SmtpClient { Timeout = timeout };
            try
            {
                var security = _smtp.Security switch
                {
                    SmtpSecurity.None => SecureSocketOptions.None,
                    SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
                    SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
                    _ => SecureSocketOptions.Auto,
                };
                client.Connect(socket, _smtp.Host!, _smtp.Port, security);
                if (!string.IsNullOrEmpty(_smtp.Username))
                {
                    client.Authenticate(_smtp.Username, _smtp.Password ?? string.Empty);
                }

                return client;
            }
            catch
            {
                client.Dispose();
                socket.Dispose();
                throw;
            }
        }

        /// <summary>
        /// A blocking socket connected to the first of the host's addresses that answers. The configured timeout bounds the
        /// connect (Linux gives up a blocking connect after the send timeout) and every read and write after it.
        /// </summary>
        private static Socket ConnectSocket(string host, int port, int timeoutMilliseconds)
        {
            SocketException? last = null;
            foreach (var address in Dns.GetHostAddresses(host))
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
                {
                    // Each command goes out whole in one write and waits for its answer: nothing to gain from Nagle.
                    NoDelay = true,
                    SendTimeout = timeoutMilliseconds,
                    ReceiveTimeout = timeoutMilliseconds,
                };
                try
                {
                    socket.Connect(new IPEndPoint(address, port));
                    return socket;
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    last = ex;
                }
            }

            throw last ?? new SocketException((int)SocketError.HostNotFound);
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
