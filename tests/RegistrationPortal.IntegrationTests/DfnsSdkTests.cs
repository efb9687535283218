using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RegistrationPortal.IntegrationTests.Infrastructure;

namespace RegistrationPortal.IntegrationTests;

/// <summary>
/// A client no one here wrote: the published Dfns SDK (tests/dfns-sdk, @dfns/sdk pinned in its lock file) resends,
/// checks a wrong code, then starts and completes a registration against the real host on a real port.
/// </summary>
public sealed class DfnsSdkTests(RealPortSmtpPortalFixture fixture) : IClassFixture<RealPortSmtpPortalFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public Task The_sdk_registers_a_user_without_the_legacy_headers() => RegisterThroughSdkAsync(legacyHeaders: false);

    [Fact]
    public Task The_sdk_registers_a_user_with_the_legacy_app_id_and_nonce_headers() => RegisterThroughSdkAsync(legacyHeaders: true);

    private async Task RegisterThroughSdkAsync(bool legacyHeaders)
    {
        var host = fixture.Factory;
        var (orgId, email, userId) = await host.CreatePendingUserAsync(legacyHeaders ? "sdk-legacy" : "sdk");
        var invitations = (await fixture.Smtp.WaitForMessagesAsync(email)).Count;
        var work = Directory.CreateTempSubdirectory("regportal-sdk-").FullName;
        var codeFile = Path.Combine(work, "code");

        // Standard error is left to the console: a redirected, unread-until-exit stderr pipe stalled this process.
        var start = new ProcessStartInfo("node", "register.mjs")
        {
            WorkingDirectory = SdkDirectory(),
            RedirectStandardOutput = true,
        };
        start.Environment["BASE_URL"] = fixture.RealPortAddress!.ToString().TrimEnd('/');
        start.Environment["ORG_ID"] = orgId;
        start.Environment["USERNAME"] = email;
        start.Environment["CODE_FILE"] = codeFile;
        if (legacyHeaders)
        {
            start.Environment["LEGACY_HEADERS"] = "1";
            start.Environment["APP_ID"] = await host.CreateApplicationAsync(orgId);
        }

        using var node = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(Deadline);
        try
        {
            var line = await node.StandardOutput.ReadLineAsync(deadline.Token);
            Assert.True(line is not null && line.Contains("\"code-requested\"", StringComparison.Ordinal), $"SDK said: {line}");

            // The code exists only in the email the resend sent: hand it over as the script asks.
            var mails = await fixture.Smtp.WaitForMessagesAsync(email, invitations + 1);
            var code = mails[^1].Code;
            Assert.NotNull(code);
            await File.WriteAllTextAsync(codeFile + ".tmp", code, deadline.Token);
            File.Move(codeFile + ".tmp", codeFile);

            var output = await node.StandardOutput.ReadToEndAsync(deadline.Token);
            await node.WaitForExitAsync(deadline.Token);
            var result = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
            Assert.True(node.ExitCode == 0, $"SDK exit {node.ExitCode}: {result}");
            using var json = JsonDocument.Parse(result);
            Assert.True(json.RootElement.GetProperty("ok").GetBoolean(), result);
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }

            Directory.Delete(work, recursive: true);
        }

        Assert.True(await host.WithDbAsync(db => db.OrgUsers.Where(u => u.Id == userId).Select(u => u.IsRegistered).SingleAsync()));
        Assert.Single(await host.WithDbAsync(db => db.Credentials.Where(c => c.UserId == userId).ToListAsync()));
    }

    private static string SdkDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "dfns-sdk");
            if (File.Exists(Path.Combine(candidate, "register.mjs")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/dfns-sdk not found above the test assembly.");
    }
}
