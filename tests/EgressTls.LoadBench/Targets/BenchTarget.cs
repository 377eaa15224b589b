namespace EgressTls.LoadBench.Targets;

/// <summary>A running HTTPS admission endpoint on 127.0.0.1, and how to stop it.</summary>
public sealed class BenchTarget(string name, Uri baseAddress, int? processId, Func<ValueTask> stop, Func<string>? describe = null, Uri? metrics = null) : IAsyncDisposable
{
    /// <summary>"floor" or "serve".</summary>
    public string Name { get; } = name;

    /// <summary>https://127.0.0.1:PORT/.</summary>
    public Uri BaseAddress { get; } = baseAddress;

    /// <summary>The process serving (a child), or <c>null</c> when it runs inside the benchmark.</summary>
    public int? ProcessId { get; } = processId;

    /// <summary>serve's Prometheus endpoint (plain HTTP), where its memo counters are read; <c>null</c> for the floor.</summary>
    public Uri? Metrics { get; } = metrics;

    /// <summary>What the target printed (the end of its log), for error reports.</summary>
    public string Describe() => describe?.Invoke() ?? "";

    public ValueTask DisposeAsync() => stop();
}
