using System.Threading.Channels;

namespace RegistrationPortal.Web.Shared;

/// <summary>
/// Work that belongs to the host rather than to the page or request that asked for it (a bulk resend goes on when the
/// admin navigates away): queued here and run by this hosted service, several at once, each with the host's stopping
/// token. A stopping host lets the running jobs wind down (each sees the token and records how far it got) before it
/// ends; jobs not yet started are cancelled.
/// </summary>
public sealed class BackgroundJobs(ILogger<BackgroundJobs> logger) : BackgroundService
{
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });

    private sealed record Job(string Name, Func<CancellationToken, Task> Work, TaskCompletionSource Done);

    /// <summary>Queues <paramref name="work"/>; the task completes when it has run (or was cancelled by a stopping host).</summary>
    public Task Enqueue(string name, Func<CancellationToken, Task> work)
    {
        var job = new Job(name, work, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(job))
        {
            throw new InvalidOperationException("The host is shutting down.");
        }

        return job.Done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new HashSet<Task>();
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                running.RemoveWhere(t => t.IsCompleted);
                running.Add(RunAsync(job, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: no new job starts.
        }

        _queue.Writer.TryComplete();
        await Task.WhenAll(running);
        while (_queue.Reader.TryRead(out var left))
        {
            left.Done.TrySetCanceled(stoppingToken);
        }
    }

    private async Task RunAsync(Job job, CancellationToken stoppingToken)
    {
        // Off the loop's thread at once: a job's synchronous start must not hold up the next one.
        await Task.Yield();
        try
        {
            await job.Work(stoppingToken);
            job.Done.TrySetResult();
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Background job {Job} failed", job.Name);
            job.Done.TrySetException(ex);
        }
    }
}
