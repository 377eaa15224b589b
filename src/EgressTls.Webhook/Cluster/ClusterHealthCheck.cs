using EgressTls.Webhook.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EgressTls.Webhook.Cluster;

/// <summary>Ready when the Kubernetes side can serve admissions: connected, CA loaded (or the cert-manager
/// issuer configured), namespace cache synced.</summary>
internal sealed class ClusterHealthCheck(ClusterConnection connection, WebhookConfig config) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var shell = connection.Shell;
        var result = shell switch
        {
            null => HealthCheckResult.Unhealthy(connection.Status),
            { Namespaces.HasSynced: false } => HealthCheckResult.Unhealthy("the namespace cache has not synced yet"),
            { Material: null } when config.Ca.Source != "cert-manager" => HealthCheckResult.Unhealthy("the interception CA is not loaded"),
            _ when config.Ca.Source == "cert-manager" && config.Ca.CertManager.IssuerName.Length == 0 =>
                HealthCheckResult.Unhealthy("ca.certManager.issuerName is not set"),
            _ => HealthCheckResult.Healthy(),
        };
        return Task.FromResult(result);
    }
}
