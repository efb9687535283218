using Microsoft.Extensions.DependencyInjection;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Organizations;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.ScaleOut;

/// <summary>
/// Two hosts on one new PostgreSQL database, each on its own real loopback port, started at the same moment; with a
/// dispatcher, both send to one real SMTP server.
/// </summary>
public sealed class TwoHosts : IAsyncDisposable
{
    private readonly SharedDataDirectory _data;

    private TwoHosts(SharedDataDirectory data, PortalFactory a, PortalFactory b, SmtpServer? smtp)
    {
        _data = data;
        A = a;
        B = b;
        Smtp = smtp!;
    }

    public PortalFactory A { get; }

    public PortalFactory B { get; }

    public SmtpServer Smtp { get; }

    public Uri UrlA { get; private set; } = null!;

    public Uri UrlB { get; private set; } = null!;

    /// <summary>An API client of host A's real port.</summary>
    public HttpClient ClientA { get; private set; } = null!;

    public HttpClient ClientB { get; private set; } = null!;

    public static async Task<TwoHosts> StartAsync(bool dispatcher, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var smtp = dispatcher ? await SmtpServer.StartNewAsync() : null;
        var data = new SharedDataDirectory("regportal-two-", DatabaseProvider.Postgres);
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        if (!dispatcher)
        {
            all["Email:DispatcherEnabled"] = "false";
        }

        var hosts = new TwoHosts(
            data,
            new PortalFactory(smtp, all, dataDirectory: data.Path, provider: DatabaseProvider.Postgres),
            new PortalFactory(smtp, all, dataDirectory: data.Path, provider: DatabaseProvider.Postgres),
            smtp);
        var started = await Task.WhenAll(Task.Run(hosts.A.StartKestrel), Task.Run(hosts.B.StartKestrel));
        hosts.UrlA = started[0];
        hosts.UrlB = started[1];
        hosts.ClientA = new HttpClient { BaseAddress = started[0] };
        hosts.ClientB = new HttpClient { BaseAddress = started[1] };
        return hosts;
    }

    /// <summary>A new org admin (made on host A), with the password to type into the sign-in form.</summary>
    public async Task<TestAdmin> CreateAdminAsync(string orgId)
    {
        var email = PortalFactory.NewEmail("admin");
        var password = $"pw-{Guid.NewGuid():N}";
        var outcome = await A.Services.GetRequiredService<AdminAccountService>().CreateAsync(orgId, email, password, platformAdmin: false, Actor.Operator("test"), invite: false);
        Assert.Equal(CreateAdminStatus.Created, outcome.Status);
        return new TestAdmin(outcome.AdminId!, email, password, orgId);
    }

    public async ValueTask DisposeAsync()
    {
        ClientA?.Dispose();
        ClientB?.Dispose();
        await A.DisposeAsync();
        await B.DisposeAsync();
        await _data.DisposeAsync();
        if (Smtp is not null)
        {
            await Smtp.DisposeAsync();
        }
    }
}
