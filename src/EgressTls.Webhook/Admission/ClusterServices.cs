using EgressTls.Kubernetes.Reconciliation;
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

        // The reconciler (issue 6): leader-elected hosted service over the KubernetesShell registered here.
        services.AddEgressTlsReconciler(config.Reconciler.Enabled, new ReconcilerOptions
        {
            Render = RenderOptionsFactory.Create(config),
            ResyncPeriod = config.Reconciler.ResyncPeriod,
            Flux = config.Flux.Enabled,
            LeafRenewal = config.Ca.Source == "cert-manager" ? null : new Pki.RenewalPolicy(config.Leaf.Duration, config.Leaf.RenewBefore),
            ProtectedKeys = [ObjectKeys.Of("v1", "Secret", config.Namespace, config.Ca.SecretName), ObjectKeys.Of("v1", "Secret", config.Namespace, config.ServingCertificate.SecretName)],
        }, new LeaderElectionOptions
        {
            Enabled = config.Reconciler.LeaderElection.Enabled,
            Namespace = config.Namespace,
            LeaseName = config.Reconciler.LeaderElection.LeaseName,
            LeaseDuration = config.Reconciler.LeaderElection.LeaseDuration,
            RenewDeadline = config.Reconciler.LeaderElection.RenewDeadline,
            RetryPeriod = config.Reconciler.LeaderElection.RetryPeriod,
        });
        reason = "this build has no Kubernetes implementation of the admission context reader and applier yet; "
            + "run `egress-tls serve --standalone` to serve without a cluster";
        return false;
    }
}
