using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RegistrationPortal.Benchmarks;

/// <summary>
/// A real SMTP server on loopback for the host's dispatcher to send to: Debian's aiosmtpd (the one the tests use), with
/// its handler that accepts every message and keeps none. What was sent is read from the outbox's statuses.
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private readonly Process _process;

    private SmtpSink(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>CPU time the SMTP server has used so far.</summary>
    public TimeSpan CpuTime => Machine.CpuTime(_process);

    public static async Task<SmtpSink> StartAsync(TimeSpan timeout)
    {
        var port = HostRunner.FreePort();
        var start = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink" })
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Could not start aiosmtpd.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("The SMTP phase needs Debian's python3-aiosmtpd (apt-get install python3-aiosmtpd), or --mail pickup.", ex);
        }

        var sink = new SmtpSink(process, port);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"aiosmtpd exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()} (apt-get install python3-aiosmtpd, or --mail pickup)");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return sink;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        await sink.DisposeAsync();
        throw new TimeoutException("aiosmtpd did not listen in time.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
