using System.Text;
using EgressTls.Core;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Kubernetes;

/// <summary>
/// Loads or creates the interception CA Secret in the webhook namespace. Generate mode is
/// create-if-absent: GET; on 404 generate and POST; on 409 AlreadyExists another replica won the race and its
/// CA is read and used, so replicas starting together agree on one CA and a restart never makes a new one.
/// An existing Secret is never overwritten (a damaged one is an error, not a reason to mint a CA every pod
/// would stop trusting). Import mode reads a user Secret, also only in the webhook namespace. cert-manager
/// mode holds no CA.
/// </summary>
public sealed class CaSecretStore
{
    /// <summary>Annotation on the generated CA Secret saying what it is.</summary>
    public const string RoleAnnotation = Naming.Prefix + "role";

    private readonly IKubernetes client;
    private readonly CaStoreOptions options;
    private readonly ICaGenerator? generator;
    private readonly ApiCallPipeline pipeline;
    private readonly ILogger logger;

    /// <summary>Creates the store; <paramref name="generator"/> is needed in generate mode only.</summary>
    public CaSecretStore(IKubernetes client, CaStoreOptions options, ICaGenerator? generator, ApiCallPipeline pipeline, ILogger<CaSecretStore>? logger = null)
    {
        this.client = client;
        this.options = options;
        this.generator = generator;
        this.pipeline = pipeline;
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The CA, or null in cert-manager mode.</summary>
    public async Task<StoredCa?> LoadOrCreateAsync(CancellationToken cancellationToken)
    {
        switch (options.Source)
        {
            case CaSource.CertManager:
                return null;
            case CaSource.Import:
            {
                var name = options.ImportSecretName;
                if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal))
                {
                    throw new CaStoreException($"ca.importSecretName must name a Secret in the egress-tls namespace {options.Namespace} (got \"{name}\")");
                }

                var secret = await ReadAsync(name, cancellationToken).ConfigureAwait(false)
                             ?? throw new CaStoreException($"CA import Secret {options.Namespace}/{name} not found");
                logger.LogInformation("Loaded imported CA from Secret {Namespace}/{Name}", options.Namespace, name);
                return new StoredCa(Parse(secret, withChain: true), false, secret.Metadata?.ResourceVersion);
            }

            default:
                return await LoadOrGenerateAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The Secret manifest a generated CA is stored in: type kubernetes.io/tls with <c>tls.crt</c> and
    /// <c>tls.key</c> only (no <c>ca.crt</c>: this Secret is never a trust source and is never mounted).</summary>
    public static V1Secret Manifest(string ns, string name, CaKeyPair ca) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string> { [Naming.ManagedByLabel] = Naming.ManagedByValue },
            Annotations = new Dictionary<string, string> { [RoleAnnotation] = "interception-ca" },
        },
        Type = "kubernetes.io/tls",
        Data = new Dictionary<string, byte[]>
        {
            ["tls.crt"] = Encoding.UTF8.GetBytes(ca.CertificatePem),
            ["tls.key"] = Encoding.UTF8.GetBytes(ca.PrivateKeyPem),
        },
    };

    private async Task<StoredCa> LoadOrGenerateAsync(CancellationToken ct)
    {
        CaKeyPair? fresh = null;
        var (secret, created) = await SecretCreateIfAbsent.LoadOrCreateAsync(client, pipeline, options.Namespace, options.SecretName, () =>
        {
            fresh = (generator ?? throw new CaStoreException("no CA generator configured")).Generate();
            return Manifest(options.Namespace, options.SecretName, fresh);
        }, ct).ConfigureAwait(false);
        if (created)
        {
            logger.LogInformation("Created CA Secret {Namespace}/{Name}", options.Namespace, options.SecretName);
            return new StoredCa(fresh!, true, secret.Metadata?.ResourceVersion);
        }

        if (fresh is null)
        {
            logger.LogInformation("Loaded CA from Secret {Namespace}/{Name}", options.Namespace, options.SecretName);
        }
        else
        {
            logger.LogInformation("Another replica created CA Secret {Namespace}/{Name}; using it", options.Namespace, options.SecretName);
        }

        return new StoredCa(Parse(secret, withChain: false), false, secret.Metadata?.ResourceVersion);
    }

    private Task<V1Secret?> ReadAsync(string name, CancellationToken ct) =>
        SecretCreateIfAbsent.ReadAsync(client, pipeline, options.Namespace, name, ct);

    private CaKeyPair Parse(V1Secret secret, bool withChain)
    {
        var where = $"{options.Namespace}/{secret.Metadata?.Name}";
        string Key(string k) =>
            secret.Data?.TryGetValue(k, out var v) == true && v.Length > 0 ? Encoding.UTF8.GetString(v)
            : throw new CaStoreException($"CA Secret {where} has no {k}; expected tls.crt and tls.key (PEM)");

        var cert = Key("tls.crt");
        var key = Key("tls.key");
        if (!cert.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal) || !key.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new CaStoreException($"CA Secret {where}: tls.crt or tls.key is not PEM");
        }

        var chain = withChain && secret.Data?.TryGetValue("ca.crt", out var c) == true && c.Length > 0 ? Encoding.UTF8.GetString(c) : null;
        return new CaKeyPair(cert, key, chain);
    }
}
