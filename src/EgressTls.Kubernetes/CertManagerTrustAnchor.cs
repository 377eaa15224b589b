using System.Net;
using System.Text;
using EgressTls.Core;
using k8s;
using k8s.Autorest;

namespace EgressTls.Kubernetes;

/// <summary>
/// Finds the cert-manager issuer's CA at start (<c>ca.source: cert-manager</c>): the <c>ca.crt</c> of the
/// configured Secret, else of the configured ConfigMap (trust-manager style), else of the first (by name)
/// Secret cert-manager issued for egress-tls in the webhook namespace; null when there is none yet.
/// </summary>
public static class CertManagerTrustAnchor
{
    /// <summary>The issuer's CA PEM, or null.</summary>
    /// <exception cref="CaStoreException">A configured Secret or ConfigMap is missing or has no <c>ca.crt</c>.</exception>
    public static async Task<string?> FindAsync(IKubernetes client, ApiCallPipeline pipeline, string ns, string configuredName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(pipeline);
        if (!string.IsNullOrEmpty(configuredName))
        {
            var secret = await SecretCreateIfAbsent.ReadAsync(client, pipeline, ns, configuredName, cancellationToken).ConfigureAwait(false);
            if (secret?.Data?.TryGetValue("ca.crt", out var s) == true && s.Length > 0)
            {
                return Encoding.UTF8.GetString(s);
            }

            try
            {
                var map = await pipeline.ReadAsync(async c => await client.CoreV1.ReadNamespacedConfigMapAsync(configuredName, ns, cancellationToken: c).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                if (map.Data?.TryGetValue("ca.crt", out var m) == true && m.Length > 0)
                {
                    return m;
                }
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
            {
            }

            throw new CaStoreException($"ca.certManager.caSecretName: no Secret or ConfigMap {ns}/{configuredName} with key ca.crt");
        }

        var issued = await pipeline.ReadAsync(async c => await client.CoreV1.ListNamespacedSecretAsync(ns,
            labelSelector: $"{Naming.ManagedByLabel}={Naming.ManagedByValue}", cancellationToken: c).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return issued.Items
            .Where(x => x.Metadata?.Name?.EndsWith("-cm", StringComparison.Ordinal) == true)
            .OrderBy(x => x.Metadata.Name, StringComparer.Ordinal)
            .Select(x => x.Data?.TryGetValue("ca.crt", out var v) == true && v.Length > 0 ? Encoding.UTF8.GetString(v) : null)
            .FirstOrDefault(v => v is not null);
    }
}
