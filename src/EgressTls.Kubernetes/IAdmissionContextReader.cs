using System.Collections.Immutable;
using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes;

/// <summary>Reads what an admission decision needs from the cluster, before the core is called.</summary>
public interface IAdmissionContextReader
{
    /// <summary>The namespace's labels and annotations (from an informer cache where possible).</summary>
    Task<NamespaceInfo> GetNamespaceAsync(string name, CancellationToken cancellationToken);

    /// <summary>Summaries (type, key names; never data) of those of <paramref name="names"/> that exist.</summary>
    Task<ImmutableDictionary<string, SecretSummary>> GetSecretsAsync(
        string @namespace, IReadOnlyCollection<string> names, CancellationToken cancellationToken);
}
