using EgressTls.Core.Rendering;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes;

/// <summary>
/// The Kubernetes side of <c>serve</c>, wired: loads or creates the CA (or none in cert-manager mode), detects
/// Cilium, starts the namespace informer, and exposes the <see cref="IAdmissionContextReader"/> and
/// <see cref="IDesiredStateApplier"/> the host calls. The reconciler round builds on <see cref="Namespaces"/>,
/// <see cref="Applier"/> and <see cref="Material"/>.
/// </summary>
public sealed class KubernetesShell : IAsyncDisposable
{
    private KubernetesShell(IKubernetes client, ApiCallPipeline pipeline, ResourceInformer<V1Namespace> namespaces, KubernetesAdmissionContextReader reader,
        DesiredStateApplier applier, PkiCertificateMaterial? material, CertManagerTrustMaterial? certManagerTrust, CiliumDetection cilium)
    {
        CertManagerTrust = certManagerTrust;
        Client = client;
        Pipeline = pipeline;
        Namespaces = namespaces;
        Reader = reader;
        Applier = applier;
        Material = material;
        Cilium = cilium;
    }

    /// <summary>The API client.</summary>
    public IKubernetes Client { get; }

    /// <summary>The retry pipelines every call goes through.</summary>
    public ApiCallPipeline Pipeline { get; }

    /// <summary>The namespace cache.</summary>
    public ResourceInformer<V1Namespace> Namespaces { get; }

    /// <summary>What admission reads.</summary>
    public KubernetesAdmissionContextReader Reader { get; }

    /// <summary>What admission (and later the reconciler) writes with.</summary>
    public DesiredStateApplier Applier { get; }

    /// <summary>The CA-backed material, or null in cert-manager mode.</summary>
    public PkiCertificateMaterial? Material { get; }

    /// <summary>The trust material of cert-manager mode (the issuer's CA), or null in the other modes.</summary>
    public CertManagerTrustMaterial? CertManagerTrust { get; }

    /// <summary>The Cilium target to render for (put it into <see cref="RenderOptions.Cilium"/>).</summary>
    public CiliumDetection Cilium { get; }

    /// <summary>Starts everything; throws <see cref="CaStoreException"/> when the CA cannot be loaded or created.</summary>
    public static async Task<KubernetesShell> StartAsync(IKubernetes client, KubernetesShellOptions options, TimeProvider time, SecureRandom random,
        ILoggerFactory? loggers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        loggers ??= NullLoggerFactory.Instance;
        using var startup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        startup.CancelAfter(options.StartupTimeout);
        var pipeline = new ApiCallPipeline(options.Retry, time);

        var store = new CaSecretStore(client, options.Ca, new PkiCaGenerator(options.CaGeneration, time, random), pipeline, loggers.CreateLogger<CaSecretStore>());
        var stored = await store.LoadOrCreateAsync(startup.Token).ConfigureAwait(false);
        var material = stored is null ? null : PkiCertificateMaterial.FromStored(stored, options.PublicRootsPem, options.Leaf, options.LeafAlgorithm, time, random);

        CertManagerTrustMaterial? certManagerTrust = null;
        if (options.Ca.Source == CaSource.CertManager)
        {
            var issuer = options.Applier.CertManagerIssuer ?? throw new CaStoreException("ca.certManager.issuerName is required when ca.source is cert-manager");
            var anchor = await CertManagerTrustAnchor.FindAsync(client, pipeline, options.Ca.Namespace, options.CertManagerCaSecretName, startup.Token).ConfigureAwait(false);
            certManagerTrust = new CertManagerTrustMaterial(issuer, options.PublicRootsPem, random, anchor);
        }

        var cilium = await new CiliumDetector(client, pipeline, loggers.CreateLogger<CiliumDetector>())
            .DetectAsync(options.Cilium, options.DetectCilium, startup.Token).ConfigureAwait(false);

        var namespaces = Informers.Namespaces(client, options.Informer, time, loggers.CreateLogger("EgressTls.Kubernetes.NamespaceInformer"));
        namespaces.Start();
        var applierOptions = options.Applier with
        {
            WebhookNamespace = options.Ca.Namespace,
            LeafSource = options.Ca.Source == CaSource.CertManager ? LeafSource.CertManager : options.Applier.LeafSource,
        };
        var applier = new DesiredStateApplier(client, applierOptions, (ICertificateMaterial?)material ?? certManagerTrust, pipeline, loggers.CreateLogger<DesiredStateApplier>());
        return new KubernetesShell(client, pipeline, namespaces, new KubernetesAdmissionContextReader(client, namespaces, pipeline), applier, material, certManagerTrust, cilium);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await Namespaces.DisposeAsync().ConfigureAwait(false);
}
