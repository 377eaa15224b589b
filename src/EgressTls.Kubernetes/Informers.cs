using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EgressTls.Kubernetes;

/// <summary>Ready-made informers over the real client.</summary>
public static class Informers
{
    /// <summary>All namespaces (the admission path reads opt-in labels and default annotations from it).</summary>
    public static ResourceInformer<V1Namespace> Namespaces(IKubernetes client, InformerOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null) =>
        new(
            async ct =>
            {
                var list = await client.CoreV1.ListNamespaceAsync(cancellationToken: ct).ConfigureAwait(false);
                return ((IReadOnlyList<V1Namespace>)list.Items.ToList(), list.Metadata?.ResourceVersion ?? "");
            },
            (rv, timeout, onError, ct) => client.CoreV1.WatchListNamespaceAsync(
                resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: (int)Math.Max(1, timeout.TotalSeconds), onError: onError, cancellationToken: ct),
            options,
            timeProvider,
            logger);
}
