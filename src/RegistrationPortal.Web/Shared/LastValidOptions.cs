using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace RegistrationPortal.Web.Shared;

/// <summary>
/// The settings of one section as the host runs with them, read again when the configuration changes (the settings
/// files are watched): a change to values that are not valid is refused and logged with the keys at fault, and the
/// host keeps the values it had. The framework's own monitor throws instead, from the reload itself and from every
/// read after it: the services that read their settings as they go fail with it (the mail dispatcher's failure stops
/// the host), so a typo saved on a shared settings file would stop every host reading it. The first read is the start
/// check: values not valid then still stop the start.
/// </summary>
public sealed class LastValidOptions<T> : IOptionsMonitor<T>, IDisposable
    where T : class
{
    private readonly IOptionsFactory<T> _factory;
    private readonly ILogger _logger;
    private readonly string _section;
    private readonly ConcurrentDictionary<string, T> _values = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _registrations = [];
    private readonly Lock _gate = new();
    private Action<T, string?>? _listeners;
    private string? _refused;

    public LastValidOptions(IOptionsFactory<T> factory, IEnumerable<IOptionsChangeTokenSource<T>> sources, ILogger<LastValidOptions<T>> logger, string section)
    {
        _factory = factory;
        _logger = logger;
        _section = section;
        foreach (var source in sources)
        {
            _registrations.Add(ChangeToken.OnChange(source.GetChangeToken, Changed, source.Name));
        }
    }

    public T CurrentValue => Get(Options.DefaultName);

    public T Get(string? name) => _values.GetOrAdd(name ?? Options.DefaultName, _factory.Create);

    public IDisposable? OnChange(Action<T, string?> listener)
    {
        lock (_gate)
        {
            _listeners += listener;
        }

        return new Subscription(this, listener);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }

    /// <summary>The configuration changed: each name read so far (or the one named) is made again from it, if it is valid.</summary>
    private void Changed(string? name)
    {
        foreach (var each in name is null ? [.. _values.Keys] : new[] { name })
        {
            T value;
            try
            {
                value = _factory.Create(each);
            }
            catch (OptionsValidationException ex)
            {
                // Once for each change that is not valid: a reload reaches this section through each of its sources,
                // and an editor's save may be seen twice.
                var problems = string.Join("; ", ex.Failures.Select(f => f.TrimEnd('.')));
                if (Interlocked.Exchange(ref _refused, problems) != problems)
                {
                    _logger.LogError("{Problems}. The change is not taken: the host keeps the {Section} settings it had until they are corrected", problems, _section);
                }

                continue;
            }

            Volatile.Write(ref _refused, null);
            _values[each] = value;
            Action<T, string?>? listeners;
            lock (_gate)
            {
                listeners = _listeners;
            }

            listeners?.Invoke(value, each);
        }
    }

    private sealed class Subscription(LastValidOptions<T> monitor, Action<T, string?> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (monitor._gate)
            {
                monitor._listeners -= listener;
            }
        }
    }
}
