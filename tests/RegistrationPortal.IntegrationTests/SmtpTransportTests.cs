using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MimeKit;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Features.Email;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// The SMTP transport's settings against a real server on loopback that offers neither TLS nor authentication (Debian's
/// aiosmtpd): what an operator asks for is what happens, and a demand for encryption or a login is never quietly dropped.
/// </summary>
public sealed class SmtpTransportTests : IAsyncLifetime
{
    private SmtpServer _smtp = null!;

    public async Task InitializeAsync() => _smtp = await SmtpServer.StartNewAsync();

    public async Task DisposeAsync() => await _smtp.DisposeAsync();

    private SmtpEmailTransport Transport(Action<SmtpOptions> configure) => Transport(_smtp.Port, configure);

    private static SmtpEmailTransport Transport(int port, Action<SmtpOptions> configure) =>
        new(new ServiceCollection()
            .Configure<EmailOptions>(o =>
            {
                o.Smtp.Host = "127.0.0.1";
                o.Smtp.Port = port;
                o.Smtp.Timeout = TimeSpan.FromSeconds(10);
                configure(o.Smtp);
            })
            .BuildServiceProvider()
            .GetRequiredService<IOptionsMonitor<EmailOptions>>());

    private static MimeMessage Message(string to)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("no-reply@portal.example"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "Your registration code";
        message.Body = new TextPart("plain") { Text = "K7QH-3MZP-W9XD-R2TF" };
        return message;
    }

    [Theory]
    [InlineData(SmtpSecurity.None)]
    [InlineData(SmtpSecurity.Auto)]
    public async Task Without_a_demand_for_encryption_mail_goes_to_a_plain_server(SmtpSecurity security)
    {
        var to = $"plain-{security}@example.com".ToLowerInvariant();
        await using (var session = await Transport(s => s.Security = security).OpenAsync(CancellationToken.None))
        {
            await session.SendAsync(Message(to), CancellationToken.None);
        }

        var received = Assert.Single(await _smtp.WaitForMessagesAsync(to));
        Assert.Equal("K7QH-3MZP-W9XD-R2TF", received.Message.TextBody?.Trim());
    }

    /// <summary>STARTTLS demanded from a server that does not offer it: the connection is refused before anything is sent in clear text.</summary>
    [Fact]
    public async Task A_demand_for_starttls_refuses_a_server_that_does_not_offer_it()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Transport(s => s.Security = SmtpSecurity.StartTls).OpenAsync(CancellationToken.None));

        Assert.Contains("STARTTLS", error.Message, StringComparison.Ordinal);
        Assert.Empty(_smtp.Messages());
    }

    [Fact]
    public async Task A_demand_for_tls_on_connect_refuses_a_server_that_speaks_plain_text()
    {
        await Assert.ThrowsAsync<MailKit.Security.SslHandshakeException>(() => Transport(s => s.Security = SmtpSecurity.SslOnConnect).OpenAsync(CancellationToken.None));
    }

    /// <summary>Credentials are configured but the server offers no login: the transport refuses rather than sending unauthenticated.</summary>
    [Fact]
    public async Task Configured_credentials_are_never_skipped()
    {
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => Transport(s =>
        {
            s.Security = SmtpSecurity.None;
            s.Username = "portal";
            s.Password = "secret";
        }).OpenAsync(CancellationToken.None));

        Assert.Contains("authentication", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// A server that demands a login (AUTH PLAIN or LOGIN): the configured user and password log in and the mail goes
    /// through; a wrong password is refused at the login, before any message is sent.
    /// </summary>
    [Fact]
    public async Task Configured_credentials_log_in_and_a_wrong_password_is_refused_before_anything_is_sent()
    {
        await using var server = await SmtpServer.StartWithLoginAsync("portal", "s3cret-Pass");
        SmtpEmailTransport Login(string password) => Transport(server.Port, s =>
        {
            s.Security = SmtpSecurity.None;
            s.Username = "portal";
            s.Password = password;
        });

        await using (var session = await Login("s3cret-Pass").OpenAsync(CancellationToken.None))
        {
            await session.SendAsync(Message("logged-in@example.com"), CancellationToken.None);
        }

        var received = Assert.Single(await server.WaitForMessagesAsync("logged-in@example.com"));
        Assert.Equal("K7QH-3MZP-W9XD-R2TF", received.Message.TextBody?.Trim());

        await Assert.ThrowsAsync<MailKit.Security.AuthenticationException>(() => Login("wrong-pass").OpenAsync(CancellationToken.None));
        Assert.Single(server.Messages());

        // The refused login's connection is closed there and then, not left open for the server to time out.
        Assert.DoesNotContain(
            IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpConnections(),
            c => c.RemoteEndPoint.Port == server.Port && c.State == TcpState.Established);
    }

    /// <summary>A server that takes a message and never answers: the send fails after the configured timeout (1 s here), not MailKit's default two minutes.</summary>
    [Fact]
    public async Task A_server_that_stops_answering_fails_the_send_after_the_configured_timeout()
    {
        await using var scripted = await SmtpServer.StartScriptedAsync();
        var to = "held@example.com";
        scripted.SetRule(to, SmtpRule.HoldData);
        var transport = Transport(scripted.Port, s =>
        {
            s.Security = SmtpSecurity.None;
            s.Timeout = TimeSpan.FromSeconds(1);
        });
        await using var session = await transport.OpenAsync(CancellationToken.None);

        var send = session.SendAsync(Message(to), CancellationToken.None);
        var deadline = Task.Delay(TimeSpan.FromSeconds(20));
        Assert.Same(send, await Task.WhenAny(send, deadline));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => send);
        Assert.Contains("timed out", error.Message, StringComparison.OrdinalIgnoreCase);
        scripted.SetRule(to, SmtpRule.Accept);
    }

    /// <summary>
    /// A session sends on a thread of its own: each message's SMTP spans (MailKit's) still belong to the trace that sent
    /// it, not to the one that opened the session.
    /// </summary>
    [Fact]
    public async Task Each_messages_smtp_spans_are_under_the_span_that_sent_it()
    {
        using var source = new ActivitySource("SmtpTransportTests");
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "SmtpTransportTests" or "MailKit.Net.SmtpClient",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        var first = $"first-{Guid.NewGuid():N}@example.com";
        var second = $"second-{Guid.NewGuid():N}@example.com";

        ActivitySpanId firstSpan, secondSpan;
        await using (var session = await Transport(s => s.Security = SmtpSecurity.None).OpenAsync(CancellationToken.None))
        {
            using (var send = source.StartActivity("first")!)
            {
                firstSpan = send.SpanId;
                await session.SendAsync(Message(first), CancellationToken.None);
            }

            using (var send = source.StartActivity("second")!)
            {
                secondSpan = send.SpanId;
                await session.SendAsync(Message(second), CancellationToken.None);
            }
        }

        await _smtp.WaitForMessagesAsync(second);
        // Other tests may be sending meanwhile: only the spans under this test's two count.
        var sends = spans.Where(s => s.Source.Name == "MailKit.Net.SmtpClient" && s.OperationName == "Send").ToList();
        Assert.Single(sends, s => s.ParentSpanId == firstSpan);
        Assert.Single(sends, s => s.ParentSpanId == secondSpan);
    }

    /// <summary>
    /// A server whose queue of connections is full never takes ours (the kernel drops the attempts and the client would
    /// retry for two minutes): opening a session fails after the configured timeout, 1 s here.
    /// </summary>
    [Fact]
    public async Task A_server_that_takes_no_connection_fails_the_open_after_the_configured_timeout()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var queued = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await queued.ConnectAsync(IPAddress.Loopback, port);
        var transport = Transport(port, s =>
        {
            s.Security = SmtpSecurity.None;
            s.Timeout = TimeSpan.FromSeconds(1);
        });

        var open = transport.OpenAsync(CancellationToken.None);
        var deadline = Task.Delay(TimeSpan.FromSeconds(20));
        Assert.Same(open, await Task.WhenAny(open, deadline));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => open);
        Assert.Contains("timed out", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task No_host_is_a_clear_configuration_error()
    {
        var transport = new SmtpEmailTransport(new ServiceCollection().Configure<EmailOptions>(_ => { }).BuildServiceProvider().GetRequiredService<IOptionsMonitor<EmailOptions>>());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => transport.OpenAsync(CancellationToken.None));
        Assert.Equal("Email:Smtp:Host is not set.", error.Message);
    }
}
