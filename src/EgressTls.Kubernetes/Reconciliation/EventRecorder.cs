using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using EgressTls.Core;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>
/// Writes core/v1 Events (type Warning unless told otherwise, source egress-tls) on the object a problem concerns. One Event per
/// (object, reason, message): a repeat patches its count and lastTimestamp instead of creating another
/// (what kubectl describe aggregates). Failing to record is logged, never thrown: Events are best effort.
/// </summary>
public sealed class EventRecorder(IKubernetes client, ApiCallPipeline pipeline, TimeProvider time, ILogger logger)
{
    private readonly ConcurrentDictionary<string, int> counts = new(StringComparer.Ordinal);

    /// <summary>Records <paramref name="problem"/> as an Event of <paramref name="type"/> (Warning or Normal).</summary>
    public async Task RecordAsync(WorkloadProblem problem, CancellationToken cancellationToken, string type = "Warning")
    {
        ArgumentNullException.ThrowIfNull(problem);
        var subject = problem.Subject;
        var ns = subject.Namespace ?? "default";
        var name = $"{subject.Name}.{Naming.ShortHash(string.Join('\0', subject.Kind, subject.Namespace ?? "", subject.Name, problem.Reason, problem.Message), 16)}";
        var now = time.GetUtcNow().UtcDateTime;
        var count = counts.AddOrUpdate(name, 1, (_, c) => c + 1);
        try
        {
            if (count > 1)
            {
                var patch = new JsonObject { ["count"] = count, ["lastTimestamp"] = now.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) };
                try
                {
                    await pipeline.ConditionalWriteAsync(async c => await client.CoreV1.PatchNamespacedEventAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), name, ns, cancellationToken: c).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
                {
                    // Expired (Events have a TTL): create it again.
                }
            }

            var ev = new Corev1Event
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { [Naming.ManagedByLabel] = Naming.ManagedByValue } },
                InvolvedObject = new V1ObjectReference { ApiVersion = subject.ApiVersion, Kind = subject.Kind, Name = subject.Name, NamespaceProperty = subject.Namespace, Uid = subject.Uid },
                Reason = problem.Reason,
                Message = problem.Message.Length > 1000 ? problem.Message[..1000] : problem.Message,
                Type = type,
                Source = new V1EventSource { Component = "egress-tls" },
                ReportingComponent = "egress-tls",
                FirstTimestamp = now,
                LastTimestamp = now,
                Count = count,
            };
            try
            {
                await pipeline.ConditionalWriteAsync(async c => await client.CoreV1.CreateNamespacedEventAsync(ev, ns, cancellationToken: c).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
            {
                // Another replica (a former leader) wrote it: the count restarts here.
            }
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException)
        {
            logger.LogWarning("Could not record Event {Reason} on {Kind} {Namespace}/{Name}: {Error}", problem.Reason, subject.Kind, subject.Namespace, subject.Name, e.GetType().Name);
        }
    }
}
