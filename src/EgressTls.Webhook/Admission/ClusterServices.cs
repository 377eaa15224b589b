using EgressTls.Webhook.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EgressTls.Webhook.Admission;

/// <summary>
/// The seam where the cluster implementations are registered: an <see cref="Kubernetes.IAdmissionContextReader"/>
/// (namespace from an informer cache, Secret summaries), an <see cref="Kubernetes.IDesiredStateApplier"/>
/// (certificates issued, Secrets copied, server-side apply in ApplyRank order), and their readiness checks
/// (<c>AddHealthChecks().AddCheck(..., tags: [HealthEndpoints.ReadyTag])</c>: CA loaded, caches synced).
/// Standalone mode never calls this.
/// </summary>
internal static class ClusterServices
{
    /// <summary>Registers the cluster implementations, or returns <c>false</c> with the reason they are unavailable.</summary>
    public static bool TryAdd(IServiceCollection services, WebhookConfig config, out string reason)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        reason = "this build has no Kubernetes implementation of the admission context reader and applier yet; "
            + "run `egress-tls serve --standalone` to serve without a cluster";
        return false;
    }
}
