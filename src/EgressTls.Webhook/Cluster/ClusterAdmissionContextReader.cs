using System.Collections.Immutable;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;

namespace EgressTls.Webhook.Cluster;

/// <summary>The shell's reader once the cluster connection has started.</summary>
internal sealed class ClusterAdmissionContextReader(ClusterConnection connection) : IAdmissionContextReader
{
    public Task<NamespaceInfo> GetNamespaceAsync(string name, CancellationToken cancellationToken) =>
        connection.Require().Reader.GetNamespaceAsync(name, cancellationToken);

    public Task<ImmutableDictionary<string, SecretSummary>> GetSecretsAsync(
        string @namespace, IReadOnlyCollection<string> names, CancellationToken cancellationToken) =>
        connection.Require().Reader.GetSecretsAsync(@namespace, names, cancellationToken);
}
