using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using EgressTls.LoadBench.Targets;
using EgressTls.LoadBench.Workload;

namespace EgressTls.LoadBench.Load;

/// <summary>
/// Drives one target the way kube-apiserver drives a webhook: POST /mutate over a pool of keep-alive
/// HTTPS connections (at most <c>connections</c>, opened on demand and reused), HTTP/1.1 by default
/// because the API server talks HTTP/1.1 to admission webhooks (kubernetes/kubernetes#82090: one
/// connection per concurrent request, so load spreads over replicas). Every answer is checked.
/// </summary>
public sealed class LoadDriver : IDisposable
{
    /// <summary>Open-loop cells give up when this much backlog (in seconds of the offered rate, at least 100
    /// requests) is outstanding: the target cannot keep up, and more would only end in client timeouts.</summary>
    public const double MaxBacklogSeconds = 2;

    private const int MaxProblemsKept = 5;
    private const int PatchDecodeSample = 64; // decode and check every 64th patch in full

    private static long sequence;

    private readonly HttpClient client;
    private readonly Uri mutate;
    private readonly Version version;

    /// <param name="target">The target.</param>
    /// <param name="certificate">Pinned: only this certificate is accepted.</param>
    /// <param name="connections">MaxConnectionsPerServer.</param>
    /// <param name="http2">HTTP/2 instead of HTTP/1.1 (then one connection carries all requests).</param>
    public LoadDriver(BenchTarget target, BenchCertificate certificate, int connections, bool http2)
    {
        Target = target;
        mutate = new Uri(target.BaseAddress, "/mutate");
        version = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            EnableMultipleHttp2Connections = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => certificate.Matches(cert) },
        };
        // The API server's default webhook timeout.
        client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The target driven.</summary>
    public BenchTarget Target { get; }

    /// <summary>
    /// Closed loop: <paramref name="workers"/> requests always outstanding, each sent as soon as the previous
    /// answer arrived. Measures saturation throughput; latency here includes queueing on the server.
    /// </summary>
    public async Task<CellResult> SaturateAsync(WorkloadBody body, PatchExpectation expectation, int workers, TimeSpan duration, long maxRequests, string mode)
    {
        var cell = new CellState();
        var cpuBefore = ServerCpu();
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long issued = 0;
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < deadline && Interlocked.Increment(ref issued) <= maxRequests)
            {
                var sent = Stopwatch.GetTimestamp();
                await SendAsync(body, expectation, sent, cell).ConfigureAwait(false);
            }
        })).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return cell.Result(Target.Name, body.Name, mode, elapsed, null, ServerCpu() - cpuBefore, overloaded: false);
    }

    /// <summary>
    /// Open loop at <paramref name="rate"/> requests/s: send times are scheduled in advance and each
    /// latency is measured from the request's intended send time, not from when it could be sent, so a
    /// stall is charged to every request it delayed (correction for coordinated omission, as wrk2 does).
    /// </summary>
    public async Task<CellResult> OfferAsync(WorkloadBody body, PatchExpectation expectation, int rate, TimeSpan duration, long maxRequests, string mode)
    {
        var cell = new CellState();
        var lag = new LatencyRecorder();
        var cpuBefore = ServerCpu();
        var interval = (double)Stopwatch.Frequency / rate;
        var count = Math.Min(maxRequests, (long)(duration.TotalSeconds * rate));
        var outstanding = 0;
        var maxOutstanding = Math.Max(100, (int)(rate * MaxBacklogSeconds));
        var overloaded = false;
        var pending = new ConcurrentBag<Task>();
        var started = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100); // 10 ms to settle

        // A dedicated thread keeps the schedule (see PreciseSleep); sending happens on the thread pool.
        var dispatcher = new Thread(() =>
        {
            for (long i = 0; i < count; i++)
            {
                var intended = started + (long)(i * interval);
                PreciseSleep.Until(intended);
                if (Volatile.Read(ref outstanding) >= maxOutstanding)
                {
                    overloaded = true;
                    break;
                }

                lag.Record(Stopwatch.GetElapsedTime(intended));
                Interlocked.Increment(ref outstanding);
                pending.Add(Task.Run(async () =>
                {
                    try
                    {
                        await SendAsync(body, expectation, intended, cell).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref outstanding);
                    }
                }));
            }
        })
        { IsBackground = true, Name = "open-loop dispatcher", Priority = ThreadPriority.AboveNormal };
        dispatcher.Start();
        await Task.Run(dispatcher.Join).ConfigureAwait(false);
        await Task.WhenAll(pending).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return cell.Result(Target.Name, body.Name, mode, elapsed, lag, ServerCpu() - cpuBefore, overloaded);
    }

    /// <summary>Sends <paramref name="count"/> requests (closed loop), unmeasured: connections, TLS, JIT.</summary>
    public Task<CellResult> WarmAsync(WorkloadBody body, PatchExpectation expectation, int workers, TimeSpan duration, long count) =>
        SaturateAsync(body, expectation, workers, duration, count, "warm-up");

    public void Dispose() => client.Dispose();

    private TimeSpan ServerCpu() => Target.ProcessId is { } pid ? ProcessStats.CpuTime(pid) : TimeSpan.Zero;

    private async Task SendAsync(WorkloadBody body, PatchExpectation expectation, long measuredFrom, CellState cell)
    {
        var n = Interlocked.Increment(ref sequence);
        var uid = WorkloadBody.Uid(n);
        string? problem;
        try
        {
            using var content = new ByteArrayContent(body.WithUid(uid, n));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, mutate)
            {
                Content = content,
                Version = version,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
            var bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            var latency = Stopwatch.GetElapsedTime(measuredFrom);
            problem = ResponseCheck.Problem((int)response.StatusCode, bytes, uid, expectation, decodePatch: n % PatchDecodeSample == 1);
            if (problem is null)
            {
                cell.Latency.Record(latency);
                Interlocked.Increment(ref cell.Ok);
                return;
            }
        }
        catch (TaskCanceledException)
        {
            // No answer within the API server's timeout: what the API server would see is the wait, so the
            // wait is recorded, and the request is counted apart from wrong answers.
            cell.Latency.Record(Stopwatch.GetElapsedTime(measuredFrom));
            Interlocked.Increment(ref cell.TimedOut);
            return;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            problem = $"{ex.GetType().Name}: {ex.Message}";
        }

        Interlocked.Increment(ref cell.Failed);
        if (cell.Problems.Count < MaxProblemsKept)
        {
            cell.Problems.Add($"{body.Name} uid {uid}: {problem}");
        }
    }

    private sealed class CellState
    {
        public readonly LatencyRecorder Latency = new();
        public readonly ConcurrentBag<string> Problems = [];
        public long Ok;
        public long Failed;
        public long TimedOut;

        public CellResult Result(string target, string body, string mode, TimeSpan elapsed, LatencyRecorder? lag, TimeSpan cpu, bool overloaded) =>
            new(target, body, mode, Interlocked.Read(ref Ok), Interlocked.Read(ref Failed), Interlocked.Read(ref TimedOut), elapsed, Latency, lag, cpu, overloaded,
                [.. Problems], ProcessStats.Load());
    }
}
