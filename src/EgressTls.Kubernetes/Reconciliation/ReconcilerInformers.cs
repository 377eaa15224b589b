using System.Net;
using System.Runtime.CompilerServices;
using EgressTls.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>The informers the reconciler watches, over the real client.</summary>
public static class ReconcilerInformers
{
    /// <summary>The label selector of everything egress-tls writes.</summary>
    public const string ManagedSelector = Naming.ManagedByLabel + "=" + Naming.ManagedByValue;

    /// <summary>Pods in all namespaces matching <paramref name="labelSelector"/>.</summary>
    public static ResourceInformer<V1Pod> Pods(IKubernetes client, string labelSelector, InformerOptions? options, TimeProvider time, ILogger logger) =>
        new(
            async ct =>
            {
                var list = await client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: labelSelector, cancellationToken: ct).ConfigureAwait(false);
                return ((IReadOnlyList<V1Pod>)list.Items.ToList(), list.Metadata?.ResourceVersion ?? "");
            },
            (rv, timeout, onError, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(
                labelSelector: labelSelector, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: Seconds(timeout), onError: onError, cancellationToken: ct),
            options, time, logger, $"pods ({labelSelector})");

    /// <summary>Secrets egress-tls manages in one namespace. Managed Secrets live only in the release namespace and
    /// Cilium's secrets namespace(s), which is also where the chart's RBAC lets egress-tls list and watch Secrets
    /// (cluster-wide it may only get them).</summary>
    public static ResourceInformer<V1Secret> ManagedSecrets(IKubernetes client, string @namespace, InformerOptions? options, TimeProvider time, ILogger logger) =>
        new(
            async ct =>
            {
                var list = await client.CoreV1.ListNamespacedSecretAsync(@namespace, labelSelector: ManagedSelector, cancellationToken: ct).ConfigureAwait(false);
                return ((IReadOnlyList<V1Secret>)list.Items.ToList(), list.Metadata?.ResourceVersion ?? "");
            },
            (rv, timeout, onError, ct) => client.CoreV1.WatchListNamespacedSecretAsync(
                @namespace, labelSelector: ManagedSelector, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: Seconds(timeout), onError: onError, cancellationToken: ct),
            options, time, logger, $"secrets in {@namespace}");

    /// <summary>
    /// A custom resource (all namespaces, or cluster-scoped). When its CRD is not installed (404 on list) the
    /// informer holds nothing, logs that once, and looks again at every resync.
    /// </summary>
    public static ResourceInformer<LiveObject> Custom(
        IKubernetes client, string group, string version, string plural, bool namespaced, string? labelSelector, InformerOptions? options, TimeProvider time, ILogger logger) =>
        Custom(client, group, [version], plural, namespaced, labelSelector, options, time, logger);

    /// <summary>
    /// The same over the first of <paramref name="versions"/> the cluster serves, looked up again at every
    /// relist: an older release of the CRD may serve only an older version (Flux before 2.2 serves Providers as
    /// v1beta2 alone), and an informer that found nothing there would let garbage collection delete the
    /// objects of every such Provider.
    /// </summary>
    public static ResourceInformer<LiveObject> Custom(
        IKubernetes client, string group, IReadOnlyList<string> versions, string plural, bool namespaced, string? labelSelector, InformerOptions? options,
        TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfZero(versions.Count);
        var absent = 0;
        var served = versions[0];
        return new ResourceInformer<LiveObject>(
            async ct =>
            {
                foreach (var version in versions)
                {
                    try
                    {
                        var list = namespaced
                            ? await client.CustomObjects.ListCustomObjectForAllNamespacesAsync<LiveObjectList>(group, version, plural, labelSelector: labelSelector, cancellationToken: ct).ConfigureAwait(false)
                            : await client.CustomObjects.ListClusterCustomObjectAsync<LiveObjectList>(group, version, plural, labelSelector: labelSelector, cancellationToken: ct).ConfigureAwait(false);
                        Interlocked.Exchange(ref absent, 0);
                        if (Interlocked.Exchange(ref served, version) != version && version != versions[0])
                        {
                            logger.LogInformation("{Plural}.{Group}/{Preferred} is not served; reading {Plural}.{Group}/{Version}", plural, group, versions[0], plural, group, version);
                        }

                        return ((IReadOnlyList<LiveObject>)list.Items.ToList(), list.Metadata?.ResourceVersion ?? "");
                    }
                    catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
                    {
                        // Not served in this version: try the next.
                    }
                }

                if (Interlocked.Exchange(ref absent, 1) == 0)
                {
                    logger.LogInformation("{Plural}.{Group} is not served in {Versions} (CRD not installed); continuing without it and checking again at each resync",
                        plural, group, string.Join(", ", versions));
                }

                return ([], "");
            },
            (rv, timeout, onError, ct) => Volatile.Read(ref absent) == 1 ? WaitAsync(timeout, time, ct) : Watch(Volatile.Read(ref served), rv, timeout, onError, ct),
            options, time, logger, $"{plural}.{group}");

        // The typed WatchAsync over the list call: the replacement the client suggests yields untyped objects.
#pragma warning disable CS0618
        IAsyncEnumerable<(WatchEventType, LiveObject)> Watch(string version, string rv, TimeSpan timeout, Action<Exception> onError, CancellationToken ct) => namespaced
            ? client.CustomObjects.ListCustomObjectForAllNamespacesWithHttpMessagesAsync<LiveObjectList>(
                group, version, plural, allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: rv, timeoutSeconds: Seconds(timeout), watch: true, cancellationToken: ct)
                .WatchAsync<LiveObject, LiveObjectList>(onError, cancellationToken: ct)
            : client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<LiveObjectList>(
                group, version, plural, allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: rv, timeoutSeconds: Seconds(timeout), watch: true, cancellationToken: ct)
                .WatchAsync<LiveObject, LiveObjectList>(onError, cancellationToken: ct);
#pragma warning restore CS0618
    }

    private static int Seconds(TimeSpan timeout) => (int)Math.Max(1, timeout.TotalSeconds);

    // No CRD: nothing to watch until the next relist.
    private static async IAsyncEnumerable<(WatchEventType, LiveObject)> WaitAsync(TimeSpan timeout, TimeProvider time, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Delay(timeout, time, ct).ConfigureAwait(false);
        yield break;
    }
}
