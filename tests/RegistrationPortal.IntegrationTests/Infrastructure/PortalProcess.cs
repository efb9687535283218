using System.Diagnostics;
using System.Text;

namespace RegistrationPortal.IntegrationTests.Infrastructure;

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>The host's own executable in a separate process, as an operator runs it (its verbs, or the web host itself).</summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private PortalProcess(Process process)
    {
        _process = process;
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Runs to the end (60 s at most) and returns what it printed.</summary>
    public static Task<ProcessResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunWithInputAsync(workingDirectory, environment, input: null, args);

    /// <summary>As <see cref="RunAsync"/>, with <paramref name="input"/> written to standard input (then closed) when given.</summary>
    public static async Task<ProcessResult> RunWithInputAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, string? input, params string[] args)
    {
        await using var process = Start(workingDirectory, environment, args, redirectInput: true);
        await process._process.StandardInput.WriteAsync(input ?? "");
        process._process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process._process.WaitForExitAsync(deadline.Token);
        // The asynchronous readers have seen the end of both streams once WaitForExit without a timeout returns.
        process._process.WaitForExit();
        return new ProcessResult(process._process.ExitCode, process.Stdout, process.Stderr);
    }

    /// <summary>Starts the executable with only the given settings (environment "Testing" unless they say otherwise).</summary>
    public static PortalProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start(workingDirectory, environment, args, redirectInput: false);

    private static PortalProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, string[] args, bool redirectInput)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "RegistrationPortal.Web.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var wrapper = new PortalProcess(process);
        process.OutputDataReceived += (_, e) => Append(wrapper._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(wrapper._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        _process.WaitForExit();
        return _process.ExitCode;
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

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }
}
