using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;

namespace EgressTls.Webhook.Cluster;

/// <summary>The shell's applier once the cluster connection has started.</summary>
internal sealed class ClusterDesiredStateApplier(ClusterConnection connection) : IDesiredStateApplier
{
    public Task ApplyAsync(IReadOnlyList<GeneratedObject> objects, CancellationToken cancellationToken) =>
        connection.Require().Applier.ApplyAsync(objects, cancellationToken);
}
