using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes;

/// <summary>
/// Makes generated objects exist: fills Secret/ConfigMap content (certificates, copies, bundles) and
/// server-side applies everything in <see cref="GeneratedObject.ApplyRank"/> order.
/// </summary>
public interface IDesiredStateApplier
{
    /// <summary>Applies <paramref name="objects"/>; throws <see cref="ApplyException"/> with a message fit
    /// for a denial when the cluster cannot be brought to that state in time.</summary>
    Task ApplyAsync(IReadOnlyList<GeneratedObject> objects, CancellationToken cancellationToken);
}
