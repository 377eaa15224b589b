using System.Collections.Immutable;
using EgressTls.Core.Rendering;
using EgressTls.Pki;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>Settings of the <see cref="Reconciler"/> (config <c>reconciler.*</c>).</summary>
public sealed record ReconcilerOptions
{
    /// <summary>The render options admission uses (the desired state must be what admission would produce).</summary>
    public RenderOptions Render { get; init; } = new();

    /// <summary>Full pass period even without events (<c>reconciler.resyncPeriod</c>); also when copy sources
    /// are re-read.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Managed objects younger than this are never deleted (an admission may have just created them for
    /// a pod the informers do not show yet).</summary>
    public TimeSpan GarbageCollectionGracePeriod { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>After a first event, wait this long for more before the pass (bursts coalesce into one pass).</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>First retry delay of a failing object (doubles per failure).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest retry delay of a failing object.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Leaf renewal policy (<c>leaf.duration</c>, <c>leaf.renewBefore</c>); null when cert-manager renews.</summary>
    public RenewalPolicy? LeafRenewal { get; init; } = RenewalPolicy.Default;

    /// <summary>Watch Flux Providers (<c>flux.enabled</c>).</summary>
    public bool Flux { get; init; } = true;

    /// <summary>Objects garbage collection never deletes (keys as <see cref="ObjectKeys.Of(string, string, string?, string)"/>),
    /// e.g. the CA and serving certificate Secrets (they carry no content hash either).</summary>
    public ImmutableHashSet<string> ProtectedKeys { get; init; } = [];

    /// <summary>Timing of the reconciler's informers.</summary>
    public InformerOptions Informer { get; init; } = new();
}
