using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.Web.Data;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

/// <summary>A host per test class, with its own database file and, when <see cref="WithSmtp"/>, its own SMTP server and port.</summary>
[SuppressMessage("Design", "CA1001", Justification = "xunit disposes fixtures through IAsyncLifetime.DisposeAsync.")]
public abstract class PortalFixture : IAsyncLifetime
{
    private SmtpServer? _smtp;
    private PortalFactory? _factory;

    public PortalFactory Factory => _factory ?? throw new InvalidOperationException("The fixture is not started.");

    public SmtpServer Smtp => _smtp ?? throw new InvalidOperationException("This fixture has no SMTP server.");

    /// <summary>The Kestrel address when <see cref="OnRealPort"/>.</summary>
    public Uri? RealPortAddress { get; private set; }

    protected virtual bool WithSmtp => true;

    /// <summary>Serve on a real loopback port (Kestrel) instead of the in-process test server.</summary>
    protected virtual bool OnRealPort => false;

    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>Services the test puts into the host (a log to read, say).</summary>
    protected virtual Action<IServiceCollection>? Services => null;

    /// <summary>The database the host runs on; a class's PostgreSQL twin overrides it.</summary>
    public virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public async Task InitializeAsync()
    {
        _smtp = WithSmtp ? await SmtpServer.StartNewAsync() : null;
        _factory = new PortalFactory(_smtp, Settings, Services, provider: Provider);
        // Start the host now, not inside the first test.
        if (OnRealPort)
        {
            RealPortAddress = _factory.StartKestrel();
        }
        else
        {
            _ = _factory.Server;
        }

        await SeedAsync();
    }

    /// <summary>Data the whole class shares, made once the host runs.</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        if (_smtp is not null)
        {
            await _smtp.DisposeAsync();
        }
    }
}

/// <summary>Default settings (one-minute cooldown) and a real SMTP server.</summary>
public class MailPortalFixture : PortalFixture;

public sealed class PostgresMailPortalFixture : MailPortalFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>No SMTP server and no dispatcher: mail stays queued.</summary>
public class QueuedMailPortalFixture : PortalFixture
{
    protected sealed override bool WithSmtp => false;

    protected sealed override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Email:DispatcherEnabled"] = "false",
    };
}

public sealed class PostgresQueuedMailPortalFixture : QueuedMailPortalFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>A real SMTP server and no resend throttle to speak of: for concurrent resends.</summary>
public class UnthrottledMailPortalFixture : PortalFixture
{
    protected sealed override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Registration:ResendCooldown"] = "00:00:00",
        ["Registration:MaxResendsPerHour"] = "1000",
    };
}

public sealed class PostgresUnthrottledMailPortalFixture : UnthrottledMailPortalFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}

/// <summary>The host on a real loopback port, with the dispatcher writing to a pickup folder.</summary>
public sealed class RealPortPortalFixture : PortalFixture
{
    protected override bool WithSmtp => false;

    protected override bool OnRealPort => true;
}

/// <summary>A real loopback port and a real SMTP server: for clients that run in another process.</summary>
public sealed class RealPortSmtpPortalFixture : PortalFixture
{
    protected override bool OnRealPort => true;
}

/// <summary>A host that believes X-Forwarded-For, so tests can speak from several client addresses.</summary>
public class ForwardedMailPortalFixture : PortalFixture
{
    protected sealed override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ForwardedHeaders:Enabled"] = "true",
    };
}

public sealed class PostgresForwardedMailPortalFixture : ForwardedMailPortalFixture
{
    public override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
