using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.IntegrationTests.Infrastructure;
using RegistrationPortal.Web.Data;
using RegistrationPortal.Web.Features.Api;
using RegistrationPortal.Web.Features.Email;
using RegistrationPortal.Web.Shared;

namespace RegistrationPortal.IntegrationTests.ScaleOut;

/// <summary>
/// Two hosts on one PostgreSQL database, each on its own real port, behaving as one: a nonce, a throttle, a guessing
/// cut-off, a code, a cookie or an antiforgery token from one is honoured by the other, and of two dispatchers no
/// message is sent twice or lost. The hosts start together on an empty database, as a rolling deployment's first
/// start would, so migrations and the keys they share are made once.
/// </summary>
public sealed partial class ScaleOutTests
{
    [Fact]
    public async Task A_nonce_used_on_one_host_is_refused_on_the_other_even_when_both_get_it_at_once()
    {
        await using var hosts = await TwoHosts.StartAsync(dispatcher: false);
        var orgId = await hosts.A.CreateOrganizationAsync();
        var nonce = (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow));
        await DfnsApi.AssertSuccessAsync(await hosts.ClientA.ResendAsync(orgId, PortalFactory.NewEmail("nonce"), nonce));
        await DfnsApi.AssertErrorAsync(await hosts.ClientB.ResendAsync(orgId, PortalFactory.NewEmail("nonce"), nonce), HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);

        // The same fresh nonce sent to both hosts at the same moment, twenty times over: one of each pair wins.
        for (var i = 0; i < 20; i++)
        {
            var shared = (AuthHeaders.Nonce, Nonces.Create(DateTimeOffset.UtcNow));
            var answers = await Task.WhenAll(
                hosts.ClientA.ResendAsync(orgId, PortalFactory.NewEmail("race"), shared),
                hosts.ClientB.ResendAsync(orgId, PortalFactory.NewEmail("race"), shared));
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
            var refused = Assert.Single(answers, a => a.StatusCode != HttpStatusCode.OK);
            await DfnsApi.AssertErrorAsync(refused, HttpStatusCode.BadRequest, DfnsErrors.NonceUsed);
            foreach (var answer in answers)
            {
                answer.Dispose();
            }
        }
    }

    [Fact]
    public async Task Two_hundred_resends_over_both_hosts_leave_one_valid_code_per_user_and_no_mail_sent_twice()
    {
        await using var hosts = await TwoHosts.StartAsync(dispatcher: true, new Dictionary<string, string?>
        {
            ["Registration:ResendCooldown"] = "00:00:00",
            ["Registration:MaxResendsPerHour"] = "1000",
        });
        var orgId = await hosts.A.CreateOrganizationAsync();
        var users = new List<(string Email, string Id)>();
        for (var i = 0; i < 100; i++)
        {
            var email = PortalFactory.NewEmail($"scale{i:000}");
            users.Add((email, await (i % 2 == 0 ? hosts.A : hosts.B).InviteAsync(orgId, email)));
        }

        using var gate = new SemaphoreSlim(32);
        var resends = users.SelectMany(u => new[] { hosts.ClientA, hosts.ClientB }.Select(async client =>
        {
            await gate.WaitAsync();
            try
            {
                await DfnsApi.AssertSuccessAsync(await client.ResendAsync(orgId, u.Email));
            }
            finally
            {
                gate.Release();
            }
        }));
        await Task.WhenAll(resends);

        // Both resends of a user resolved in one write are answered by one code; in two writes, by two.
        await hosts.A.PublicRequestsResolvedAsync();
        foreach (var (_, id) in users)
        {
            Assert.Single(await hosts.A.ValidCodesAsync(id));
            Assert.InRange((await hosts.A.AllCodesAsync(id)).Count, 2, 3);
        }

        await Wait.WaitUntilAsync(
            async () => await hosts.A.WithDbAsync(db => db.OutboxMessages.AllAsync(m => m.OrgId != orgId || m.Status != OutboxStatus.Pending)),
            TimeSpan.FromSeconds(60),
            "both dispatchers have sent or superseded every message");
        var sent = await hosts.A.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.OrgId == orgId && m.Status == OutboxStatus.Sent));
        await Wait.WaitUntilAsync(() => hosts.Smtp.Messages().Count >= sent, "the SMTP server has every sent message");

        var mails = hosts.Smtp.Messages();
        Assert.Equal(sent, mails.Count);
        Assert.Equal(mails.Count, mails.Select(m => m.Code).Distinct(StringComparer.Ordinal).Count());
        foreach (var (email, id) in users)
        {
            var valid = Assert.Single(await hosts.A.ValidCodesAsync(id));
            Assert.Single(mails, m => m.IsTo(email) && hosts.B.CodeMatches(m.Code, valid.CodeHash));
        }
    }

    [Fact]
    public async Task The_resend_throttle_holds_when_one_user_asks_both_hosts_at_once()
    {
        await using var hosts = await TwoHosts.StartAsync(dispatcher: false);
        var orgId = await hosts.A.CreateOrganizationAsync();
        var known = new List<(string Email, string Id)>();
        for (var i = 0; i < 10; i++)
        {
            var email = PortalFactory.NewEmail("throttle");
            known.Add((email, await hosts.A.InviteAsync(orgId, email)));
        }

        var unknown = Enumerable.Range(0, 10).Select(_ => PortalFactory.NewEmail("throttle-unknown")).ToList();
        foreach (var email in known.Select(k => k.Email).Concat(unknown))
        {
            var answers = await Task.WhenAll(new[] { hosts.ClientA, hosts.ClientB, hosts.ClientA, hosts.ClientB }.Select(client => client.ResendAsync(orgId, email)));
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
            Assert.Equal(3, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));
            foreach (var answer in answers)
            {
                answer.Dispose();
            }
        }

        await hosts.A.PublicRequestsResolvedAsync();
        foreach (var (_, id) in known)
        {
            Assert.Equal(2, (await hosts.A.AllCodesAsync(id)).Count);
            Assert.Single(await hosts.B.ValidCodesAsync(id));
        }
    }

    [Fact]
    public async Task The_wrong_code_limit_of_an_address_holds_when_its_codes_arrive_at_both_hosts_at_once()
    {
        await using var hosts = await TwoHosts.StartAsync(dispatcher: false);
        var (orgId, email, userId) = await hosts.A.CreatePendingUserAsync("guess");
        var attempts = Enumerable.Range(0, 12).Select(i => (i % 2 == 0 ? hosts.ClientA : hosts.ClientB).InitAsync(orgId, email, "AAAA-AAAA-AAAA-AAAA"));
        var answers = await Task.WhenAll(attempts);
        Assert.Equal(5, answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(7, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));
        foreach (var answer in answers)
        {
            answer.Dispose();
        }

        // The address is held back; the code is not: it counts five wrong tries and lives on.
        await hosts.A.PublicRequestsResolvedAsync();
        var code = Assert.Single(await hosts.A.ValidCodesAsync(userId));
        Assert.Equal(5, code.FailedAttempts);
        var audit = await hosts.B.WithDbAsync(db => db.AuditEvents.Where(a => a.SubjectId == userId).Select(a => a.Action).ToListAsync());
        Assert.Equal(5, audit.Count(a => a == AuditActions.WrongCode));
        Assert.DoesNotContain(AuditActions.CodeLocked, audit);
    }

    [Fact]
    public async Task Codes_tokens_cookies_and_antiforgery_tokens_of_one_host_are_honoured_by_the_other()
    {
        await using var hosts = await TwoHosts.StartAsync(dispatcher: true);

        // A code mailed through host A opens a registration on host B, whose token completes it on host A: both
        // server keys are the ones the first host made and the second found.
        var (orgId, email, userId) = await hosts.A.CreatePendingUserAsync("keys");
        var invitation = Assert.Single(await hosts.Smtp.WaitForMessagesAsync(email));
        var (token, challenge, _) = await hosts.ClientB.StartAsync(orgId, email, invitation.Code!);
        using (var done = await hosts.ClientA.CompleteAsync(token, KeyCredentialParts.Build(challenge).Body()))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }

        Assert.True(await hosts.B.IsRegisteredAsync(userId));

        // A person's browser: the sign-in form comes from host A and is posted to host B (antiforgery), and the cookie
        // host B sets opens the portal on host A (Data Protection keys shared through the database).
        var admin = await hosts.CreateAdminAsync(orgId);
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false });
        var form = await browser.GetStringAsync(new Uri(hosts.UrlA, "/Account/Login"));
        var fields = PortalBrowser.HiddenFields(form);
        fields["Input.Email"] = admin.Email;
        fields["Input.Password"] = admin.Password;
        using (var signIn = await browser.PostAsync(new Uri(hosts.UrlB, "/Account/Login"), new FormUrlEncodedContent(fields)))
        {
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            Assert.DoesNotContain("Login", signIn.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        using (var portal = await browser.GetAsync(new Uri(hosts.UrlA, "/users")))
        {
            Assert.Equal(HttpStatusCode.OK, portal.StatusCode);
            Assert.Contains(admin.Email, await portal.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }

        // The self-service form of host B, posted to host A.
        var other = PortalFactory.NewEmail("self-service");
        var otherId = await hosts.B.InviteAsync(orgId, other);
        var page = await browser.GetStringAsync(new Uri(hosts.UrlB, "/register/resend"));
        var resend = new Dictionary<string, string>
        {
            ["_handler"] = "resend",
            ["Input.Email"] = other,
            ["Input.OrgId"] = orgId,
            ["__RequestVerificationToken"] = PortalBrowser.AntiforgeryToken(page),
        };
        using (var posted = await browser.PostAsync(new Uri(hosts.UrlA, "/register/resend"), new FormUrlEncodedContent(resend)))
        {
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            Assert.Contains("a new code is on its way", await posted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await hosts.A.PublicRequestsResolvedAsync();
        Assert.Equal(2, (await hosts.A.AllCodesAsync(otherId)).Count);
    }

    [Fact]
    public async Task A_host_killed_in_the_middle_of_sending_loses_no_message_another_host_takes_its_claim_over()
    {
        await using var smtp = await SmtpServer.StartNewAsync();
        using var silent = new SilentSmtpServer();
        await using var writer = new PortalFactory(
            settings: new Dictionary<string, string?> { ["Email:DispatcherEnabled"] = "false" },
            provider: DatabaseProvider.Postgres);
        _ = writer.Server;
        var orgId = await writer.CreateOrganizationAsync();
        var users = new List<(string Email, string Id)>();
        for (var i = 0; i < 20; i++)
        {
            var email = PortalFactory.NewEmail($"takeover{i:00}");
            users.Add((email, await writer.InviteAsync(orgId, email)));
        }

        // Host A claims the whole batch and hangs in its first send (an SMTP server that never greets)...
        var working = Directory.CreateTempSubdirectory("regportal-killed-");
        try
        {
            await using (var doomed = PortalProcess.Start(working.FullName, new Dictionary<string, string>
            {
                ["Database__Provider"] = "Postgres",
                ["ConnectionStrings__Portal"] = writer.ConnectionString,
                ["DataProtection__KeyEncryption__CertificatePath"] = writer.KeyEncryptionCertificatePath,
                ["Seed__Demo__Enabled"] = "false",
                ["Email__Smtp__Host"] = "127.0.0.1",
                ["Email__Smtp__Port"] = silent.Port.ToString(CultureInfo.InvariantCulture),
                ["Email__Smtp__Security"] = "None",
                ["Email__Smtp__Timeout"] = "00:05:00",
                ["Email__ClaimLease"] = "00:00:04",
                ["Email__PollInterval"] = "00:00:00.200",
            }, "--urls", "http://127.0.0.1:0"))
            {
                await Wait.WaitUntilAsync(
                    async () => silent.Connections > 0 && await writer.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.OrgId == orgId && m.ClaimToken != null)) == users.Count,
                    TimeSpan.FromSeconds(60),
                    "the doomed host has claimed every message and is sending the first");

                // ...and is killed there: no graceful stop, no release of its claim.
            }

            Assert.Empty(smtp.Messages());

            // Host B on the same database takes the claim over once it lapses, and sends every message once.
            await using var survivor = new PortalFactory(
                smtp,
                new Dictionary<string, string?> { ["Email:ClaimLease"] = "00:00:04" },
                dataDirectory: writer.DataDirectory,
                provider: DatabaseProvider.Postgres);
            _ = survivor.Server;
            foreach (var (email, id) in users)
            {
                var mail = Assert.Single(await smtp.WaitForMessagesAsync(email));
                Assert.True(survivor.CodeMatches(mail.Code, Assert.Single(await survivor.ValidCodesAsync(id)).CodeHash));
            }

            await Wait.WaitUntilAsync(
                async () => await survivor.WithDbAsync(db => db.OutboxMessages.AllAsync(m => m.OrgId != orgId || (m.Status == OutboxStatus.Sent && m.ClaimToken == null))),
                "every message is marked sent");
            Assert.Equal(users.Count, smtp.Messages().Count);
        }
        finally
        {
            working.Delete(recursive: true);
        }
    }

    /// <summary>An SMTP server that accepts connections and never says a word: a send to it hangs.</summary>
    private sealed class SilentSmtpServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<TcpClient> _accepted = [];
        private readonly CancellationTokenSource _stop = new();
        private int _connections;

        public SilentSmtpServer()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_accepted)
            {
                foreach (var client in _accepted)
                {
                    client.Dispose();
                }
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    lock (_accepted)
                    {
                        _accepted.Add(client);
                    }

                    Interlocked.Increment(ref _connections);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
