using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Kubernetes;

/// <summary>
/// An informer-style cache: list, then watch from the list's resourceVersion (re-watching from the last seen
/// version when a watch ends, relisting every resync period), with jittered backoff on failures.
/// kube-apiserver reports a watch from a compacted resourceVersion as an HTTP 200 stream holding one ERROR
/// event with a 410 Expired Status: the client hands that Status to the watch's error callback, and the informer
/// relists at once. A watch that ends again without delivering anything waits a backoff first, so a server that
/// keeps ending watches cannot drive a tight loop. A list or watch refused with an HTTP error (403 from RBAC,
/// for one) is logged with its status code and kept in <see cref="LastFailure"/> until a list succeeds. Keeps the objects by <c>namespace/name</c> and raises
/// <see cref="Changed"/> for every add, update and delete it observes (a relist raises the differences), which is
/// what the reconciler builds on.
/// </summary>
/// <typeparam name="T">The object type.</typeparam>
public sealed class ResourceInformer<T> : IAsyncDisposable
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Func<CancellationToken, Task<(IReadOnlyList<T> Items, string ResourceVersion)>> list;
    private readonly Func<string, TimeSpan, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> watch;
    private readonly InformerOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<string, T> store = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stop = new();
    private Task? loop;
    private int lists;
    private int watches;
    private Exception? lastFailure;

    /// <summary>Creates an informer from a list call and a watch call (resourceVersion, timeout, the callback that
    /// receives errors the stream reports, such as an ERROR event's Status, and a token). <paramref name="resource"/>
    /// names what it watches in log lines (defaults to the type name).</summary>
    public ResourceInformer(
        Func<CancellationToken, Task<(IReadOnlyList<T> Items, string ResourceVersion)>> list,
        Func<string, TimeSpan, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> watch,
        InformerOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null,
        string? resource = null)
    {
        Resource = resource ?? typeof(T).Name;
        this.list = list;
        this.watch = watch;
        this.options = options ?? new InformerOptions();
        time = timeProvider ?? TimeProvider.System;
        this.logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Raised (on the informer's loop) for each observed change.</summary>
    public event Action<WatchEventType, T>? Changed;

    /// <summary>True once the first list has completed.</summary>
    public bool HasSynced => synced.Task.IsCompleted;

    /// <summary>How many lists ran (the first one, resyncs and recoveries from 410).</summary>
    public int ListCount => Volatile.Read(ref lists);

    /// <summary>What the informer watches (log lines and metrics).</summary>
    public string Resource { get; }

    /// <summary>How many watches were opened.</summary>
    public int WatchCount => Volatile.Read(ref watches);

    /// <summary>The failure of the latest list or watch attempt when it failed, null once a list succeeds.</summary>
    public Exception? LastFailure => Volatile.Read(ref lastFailure);

    /// <summary>Raised (on the informer's loop) when a list or watch fails.</summary>
    public event Action<Exception>? Failed;

    /// <summary>The last resourceVersion seen.</summary>
    public string? ResourceVersion { get; private set; }

    /// <summary>A snapshot of the cached objects.</summary>
    public IReadOnlyCollection<T> Items => store.Values.ToList();

    /// <summary>Starts the list+watch loop (idempotent).</summary>
    public void Start() => loop ??= Task.Run(() => RunAsync(stop.Token));

    /// <summary>Completes when the first list is in the cache.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken) => synced.Task.WaitAsync(cancellationToken);

    /// <summary>The cached object, if any.</summary>
    public bool TryGet(string? @namespace, string name, out T value) => store.TryGetValue(Key(@namespace, name), out value!);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        if (loop is not null)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        stop.Dispose();
    }

    private static string Key(string? ns, string name) => $"{ns}/{name}";

    private static string Key(T obj) => Key(obj.Metadata?.NamespaceProperty, obj.Metadata?.Name ?? "");

    private async Task RunAsync(CancellationToken ct)
    {
        var failures = 0;
        var quiet = 0;
        var needList = true;
        var lastList = time.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (needList || time.GetUtcNow() - lastList >= options.ResyncPeriod)
                {
                    await RelistAsync(ct).ConfigureAwait(false);
                    lastList = time.GetUtcNow();
                    needList = false;
                    Volatile.Write(ref lastFailure, null);
                }

                var remaining = options.ResyncPeriod - (time.GetUtcNow() - lastList);
                var timeout = remaining < options.WatchTimeout ? remaining : options.WatchTimeout;
                using var watchCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                watchCts.CancelAfter(timeout + TimeSpan.FromSeconds(5));
                Exception? reported = null;
                var delivered = 0;
                Interlocked.Increment(ref watches);
                await foreach (var (type, obj) in watch(ResourceVersion!, timeout, e => reported ??= e, watchCts.Token).ConfigureAwait(false))
                {
                    if (reported is not null || type == WatchEventType.Error)
                    {
                        break;
                    }

                    delivered++;
                    Observe(type, obj);
                }

                failures = 0;
                if (reported is KubernetesException { Status.Code: (int)HttpStatusCode.Gone })
                {
                    logger.LogInformation("Watch of {Type} expired at resourceVersion {ResourceVersion}; relisting", Resource, ResourceVersion);
                    needList = true;
                }
                else if (reported is not null)
                {
                    // Any other error in the stream (an internal error Status, an unreadable event): an event may
                    // have been lost, so the cache is rebuilt from a list after a backoff.
                    throw new WatchStreamException(reported);
                }

                // A watch that ends without delivering anything (not even a bookmark) twice in a row waits before the
                // next attempt: re-watching at once would turn a server that keeps ending watches into a hot loop.
                quiet = delivered > 0 ? 0 : quiet + 1;
                if (quiet > 1)
                {
                    await Task.Delay(Backoff(quiet - 1), time, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Gone)
            {
                // A list from a resourceVersion too old to serve: start over from a fresh list.
                logger.LogInformation("Watch of {Type} expired at resourceVersion {ResourceVersion}; relisting", Resource, ResourceVersion);
                needList = true;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException or System.Text.Json.JsonException or WatchStreamException)
            {
                failures++;
                var delay = Backoff(failures);
                var failure = e is WatchStreamException { InnerException: { } inner } ? inner : e;
                Volatile.Write(ref lastFailure, failure);
                if (ApiCallPipeline.StatusOf(failure) is { } status)
                {
                    logger.Log(status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized ? LogLevel.Error : LogLevel.Warning,
                        "List/watch of {Type} refused with HTTP {Status} ({Reason}); retrying in {Delay}", Resource, (int)status, failure.Message, delay);
                }
                else
                {
                    logger.LogWarning("List/watch of {Type} failed ({Error}); retrying in {Delay}", Resource, failure.GetType().Name, delay);
                }

                try
                {
                    Failed?.Invoke(failure);
                }
                catch (Exception handlerError)
                {
                    logger.LogError(handlerError, "A {Type} failure handler failed", Resource);
                }

                if (e is HttpOperationException or WatchStreamException)
                {
                    needList = true;
                }

                try
                {
                    await Task.Delay(delay, time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var ms = options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16));
        ms = Math.Min(ms, options.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(ms * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    private async Task RelistAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref lists);
        var (items, rv) = await list(ct).ConfigureAwait(false);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            seen.Add(Key(item));
            if (!store.TryGetValue(Key(item), out var old) || old.Metadata?.ResourceVersion != item.Metadata?.ResourceVersion)
            {
                Observe(old is null ? WatchEventType.Added : WatchEventType.Modified, item);
            }
        }

        foreach (var gone in store.Where(p => !seen.Contains(p.Key)).ToList())
        {
            Observe(WatchEventType.Deleted, gone.Value);
        }

        ResourceVersion = rv;
        synced.TrySetResult();
    }

    private void Observe(WatchEventType type, T obj)
    {
        if (obj.Metadata?.ResourceVersion is { Length: > 0 } rv)
        {
            ResourceVersion = rv;
        }

        switch (type)
        {
            case WatchEventType.Bookmark:
                return;
            case WatchEventType.Deleted:
                store.TryRemove(Key(obj), out _);
                break;
            default:
                store[Key(obj)] = obj;
                break;
        }

        try
        {
            Changed?.Invoke(type, obj);
        }
        catch (Exception e)
        {
            logger.LogError(e, "A {Type} change handler failed", Resource);
        }
    }
}

