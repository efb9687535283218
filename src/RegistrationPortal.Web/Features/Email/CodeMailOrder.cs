namespace RegistrationPortal.Web.Features.Email;

/// <summary>
/// A user's code mails leave this host one at a time, oldest first. Each sender checks that a mail's code is still
/// outstanding from a reading at most <see cref="OutboxDispatcher.CodeRecheck"/> old, so when two codes of one user are
/// issued moments apart, two senders can each hold one of the mails as still good: sent side by side, the older could
/// reach the user last, carrying a code already replaced. Here the second to come waits for the first's send to end,
/// and a mail older than one already sent or being sent is not sent at all (its code was replaced when the newer one
/// was issued). The same mail taken over by another sender, its first send having outlived its claim, goes at once, as
/// it always did: it carries the same code. What is remembered of a user is forgotten once it is older than
/// <see cref="Memory"/>: by then every sender has read its codes again.
/// </summary>
public sealed class CodeMailOrder(TimeProvider time)
{
    /// <summary>How long a user's newest mail is remembered after its send began.</summary>
    internal static readonly TimeSpan Memory = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, Entry> _users = new(StringComparer.Ordinal);
    private long _lastSweep = time.GetTimestamp();

    private int _waiting;

    /// <summary>Sends waiting for another mail to the same user to be sent first.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Users remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_users)
            {
                return _users.Count;
            }
        }
    }

    /// <summary>
    /// Waits until no other sender of this host is sending another code mail to <paramref name="userId"/>, then takes the
    /// turn for mail <paramref name="messageId"/>, created at <paramref name="createdAt"/>; null when a newer mail to the
    /// user was sent or begun meanwhile (this one is then superseded). Disposing the turn ends it.
    /// </summary>
    public async ValueTask<IDisposable?> TakeAsync(string userId, Guid messageId, DateTimeOffset createdAt)
    {
        while (true)
        {
            Task sending;
            lock (_users)
            {
                Sweep();
                if (!_users.TryGetValue(userId, out var entry))
                {
                    entry = new Entry();
                    _users[userId] = entry;
                }

                if (entry.Newest > createdAt)
                {
                    return null;
                }

                if (entry.Sending.IsCompleted)
                {
                    var turn = new Turn();
                    entry.Sending = turn.Ended;
                    entry.SendingId = messageId;
                    entry.Newest = createdAt;
                    entry.BeganAt = time.GetTimestamp();
                    return turn;
                }

                if (entry.SendingId == messageId)
                {
                    return new Turn();
                }

                sending = entry.Sending;
            }

            Interlocked.Increment(ref _waiting);
            try
            {
                await sending;
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }
    }

    /// <summary>Forgets, at most once a second, the users whose last send ended and began longer ago than <see cref="Memory"/>.</summary>
    private void Sweep()
    {
        if (time.GetElapsedTime(_lastSweep) < TimeSpan.FromSeconds(1))
        {
            return;
        }

        _lastSweep = time.GetTimestamp();
        List<string>? old = null;
        foreach (var (userId, entry) in _users)
        {
            if (entry.Sending.IsCompleted && time.GetElapsedTime(entry.BeganAt) >= Memory)
            {
                (old ??= []).Add(userId);
            }
        }

        foreach (var userId in old ?? [])
        {
            _users.Remove(userId);
        }
    }

    private sealed class Entry
    {
        public DateTimeOffset Newest = DateTimeOffset.MinValue;
        public Task Sending = Task.CompletedTask;
        public Guid SendingId;
        public long BeganAt;
    }

    private sealed class Turn : IDisposable
    {
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Ended => _ended.Task;

        public void Dispose() => _ended.TrySetResult();
    }
}
