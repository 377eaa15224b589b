using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Kubernetes.ServingCertificate;

/// <summary>
/// The self-managed serving certificate, the imperative part: keeps the Secret
/// <see cref="ServingCertificateOptions.SecretName"/> in the webhook namespace at the step
/// <see cref="ServingCertificatePlanner"/> asks for, and the caBundle of every webhook of the
/// MutatingWebhookConfiguration equal to <see cref="ServingSecret.CaBundle"/>. Every replica runs it:
/// the Secret is created once (<see cref="SecretCreateIfAbsent"/>) and changed only by a replace carrying the
/// resourceVersion that was read, so when two replicas rotate at once one wins (409 for the other, which
/// re-reads and serves the winner's certificate).
/// </summary>
public sealed class ServingCertificateManager(
    IKubernetes client, ServingCertificateOptions options, ApiCallPipeline pipeline, TimeProvider time, ILogger<ServingCertificateManager>? logger = null)
{
    // Each pass writes at most one step (e.g. stage the next CA, then renew the certificate); conflicts with
    // another replica also cost a pass.
    private const int MaxAttempts = 8;
    private readonly ILogger log = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>The DNS names of the serving certificate.</summary>
    public IReadOnlyList<string> DnsNames { get; } = ServingCertificatePlanner.DnsNames(options.ServiceName, options.Namespace);

    /// <summary>Brings the Secret and the caBundle up to date and returns what to serve. Throws on API
    /// failures of the Secret (the caller retries); a caBundle that cannot be written is reported in
    /// <see cref="ServingMaterial.CaBundleCurrent"/> and logged, not thrown (the certificate is still served).</summary>
    public async Task<ServingMaterial> SyncAsync(CancellationToken cancellationToken)
    {
        var content = await SyncSecretAsync(cancellationToken).ConfigureAwait(false);
        var bundle = content.CaBundle(time.GetUtcNow());
        var current = await SyncCaBundleAsync(bundle, cancellationToken).ConfigureAwait(false);
        return new ServingMaterial(content.Certificate, bundle, current);
    }

    private async Task<ServingSecret> SyncSecretAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (secret, created) = await SecretCreateIfAbsent.LoadOrCreateAsync(client, pipeline, options.Namespace, options.SecretName,
                () => Create(time.GetUtcNow()).ToSecret(options.Namespace, options.SecretName), ct).ConfigureAwait(false);
            if (created)
            {
                log.LogInformation("Created the serving certificate Secret {Namespace}/{Name} for {DnsNames}", options.Namespace, options.SecretName, string.Join(",", DnsNames));
            }

            var now = time.GetUtcNow();
            var content = ServingSecret.FromSecret(secret);
            ServingFacts? facts = null;
            try
            {
                facts = content?.Facts(DnsNames.ToList());
            }
            catch (CryptographicException)
            {
                content = null;
            }

            ServingSecret next;
            if (content is null)
            {
                // Not a trust root for anyone but the API server, which is re-pointed by the caBundle patch: replacing
                // a damaged serving certificate is safe (unlike the interception CA, which CaSecretStore never overwrites).
                log.LogWarning("The serving certificate Secret {Namespace}/{Name} is incomplete or not PEM; replacing it", options.Namespace, options.SecretName);
                next = Create(now);
            }
            else
            {
                var step = ServingCertificatePlanner.Plan(facts, now, options);
                if (step == ServingStep.UpToDate)
                {
                    return content;
                }

                next = Apply(step, content, now);
                log.LogInformation("Serving certificate Secret {Namespace}/{Name}: {Step}", options.Namespace, options.SecretName, step);
            }

            try
            {
                await pipeline.ReadAsync(async c => await client.CoreV1.ReplaceNamespacedSecretAsync(
                    next.ToSecret(options.Namespace, options.SecretName, secret.Metadata?.ResourceVersion), options.SecretName, options.Namespace,
                    cancellationToken: c).ConfigureAwait(false), ct).ConfigureAwait(false);
                if (attempt == MaxAttempts)
                {
                    return next;
                }
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict && attempt < MaxAttempts)
            {
                // Another replica changed it first: read theirs and decide again.
                log.LogInformation("Another replica updated the serving certificate Secret {Namespace}/{Name}; re-reading", options.Namespace, options.SecretName);
            }
        }
    }

    private ServingSecret Create(DateTimeOffset now)
    {
        var ca = ServingCertificateIssuer.CreateCa($"egress-tls serving CA {options.Namespace}", now, options.CaDuration);
        return new ServingSecret(Issue(ca, now), ca);
    }

    private ServingKeyPair Issue(ServingKeyPair ca, DateTimeOffset now)
    {
        using var caCert = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(ca.CertificatePem);
        return ServingCertificateIssuer.Issue(ca, DnsNames, now, ServingCertificatePlanner.CertificateNotAfter(now, options.Duration, caCert.NotAfter.ToUniversalTime()));
    }

    private ServingSecret Apply(ServingStep step, ServingSecret content, DateTimeOffset now) => step switch
    {
        ServingStep.RenewCertificate => content with { Certificate = Issue(content.Ca, now) },
        ServingStep.StageNextCa => content with
        {
            NextCa = ServingCertificateIssuer.CreateCa($"egress-tls serving CA {options.Namespace}", now, options.CaDuration),
            NextCaStagedAt = now,
        },
        ServingStep.PromoteNextCa => new ServingSecret(Issue(content.NextCa!, now), content.NextCa!, PreviousCaPem: content.Ca.CertificatePem),
        ServingStep.DropPreviousCa => content with { PreviousCaPem = null },
        _ => new ServingSecret(Issue(content.Ca, now), content.Ca),
    };

    private async Task<bool> SyncCaBundleAsync(string bundlePem, CancellationToken ct)
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(bundlePem));
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            V1MutatingWebhookConfiguration configuration;
            try
            {
                configuration = await pipeline.ReadAsync(async c => await client.AdmissionregistrationV1
                    .ReadMutatingWebhookConfigurationAsync(options.WebhookConfigurationName, cancellationToken: c).ConfigureAwait(false), ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
            {
                log.LogWarning("MutatingWebhookConfiguration {Name} not found: its caBundle will be set when it appears", options.WebhookConfigurationName);
                return false;
            }

            var ops = WebhookCaBundle.Patch((JsonObject)JsonNode.Parse(KubernetesJson.Serialize(configuration))!, encoded);
            if (ops.Count == 0)
            {
                return true;
            }

            try
            {
                await pipeline.ReadAsync(async c => await client.AdmissionregistrationV1.PatchMutatingWebhookConfigurationAsync(
                    new V1Patch(ops.ToJsonString(), V1Patch.PatchType.JsonPatch), options.WebhookConfigurationName,
                    fieldManager: options.FieldManager, cancellationToken: c).ConfigureAwait(false), ct).ConfigureAwait(false);
                log.LogInformation("Set the caBundle of {Count} webhook(s) of MutatingWebhookConfiguration {Name}", ops.Count - 1, options.WebhookConfigurationName);
                return true;
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode is HttpStatusCode.UnprocessableEntity or HttpStatusCode.Conflict)
            {
                // The resourceVersion test failed: the chart changed the object since the read; read again.
            }
            catch (HttpOperationException e)
            {
                log.LogWarning("Cannot patch the caBundle of MutatingWebhookConfiguration {Name}: {Status}", options.WebhookConfigurationName, e.Response?.StatusCode);
                return false;
            }
        }

        return false;
    }
}
