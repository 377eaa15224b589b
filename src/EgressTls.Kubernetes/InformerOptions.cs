namespace EgressTls.Kubernetes;

/// <summary>Timing of a <see cref="ResourceInformer{T}"/>.</summary>
public sealed record InformerOptions
{
    /// <summary>Full relist period (catches anything a watch could have missed).</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Server-side timeout of one watch request; the informer then re-watches from the last version.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>First delay after a failed list or watch (doubles, with jitter, up to <see cref="MaxBackoff"/>).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Largest delay between failed attempts.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
}
