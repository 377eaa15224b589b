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
    private readonly CaRotator? rotator;
    private readonly KubernetesShellOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;

    private KubernetesShell(IKubernetes client, ApiCallPipeline pipeline, ResourceInformer<V1Namespace> namespaces, KubernetesAdmissionContextReader reader,
        DesiredStateApplier applier, RotatingCertificateMaterial? material, CaRotator? rotator, CertManagerTrustMaterial? certManagerTrust, CiliumDetection cilium,
        KubernetesShellOptions options, TimeProvider time, ILogger logger)
    {
        this.rotator = rotator;
        this.options = options;
        this.time = time;
        this.logger = logger;
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

    /// <summary>The CA-backed material (following the CA's rotation), or null in cert-manager mode.</summary>
    public RotatingCertificateMaterial? Material { get; }

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

        CaRotator? rotator = null;
        RotatingCertificateMaterial? material = null;
        if (options.Ca.Source != CaSource.CertManager)
        {
            rotator = new CaRotator(client, pipeline, options.Ca, options.CaRotation, new PkiCaGenerator(options.CaGeneration, time, random), time, loggers.CreateLogger<CaRotator>());
            var state = await rotator.LoadOrCreateAsync(startup.Token).ConfigureAwait(false);
            material = new RotatingCertificateMaterial(state, options.PublicRootsPem, options.Leaf, options.LeafAlgorithm, time, random);
        }

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
        return new KubernetesShell(client, pipeline, namespaces, new KubernetesAdmissionContextReader(client, namespaces, pipeline), applier, material, rotator, certManagerTrust, cilium,
            options, time, loggers.CreateLogger<KubernetesShell>());
    }

    /// <summary>One rotation check: reads the CA Secret, takes the transitions due and puts the result in use.
    /// True when the material changed (new signer or anchor set). Does nothing in cert-manager mode.</summary>
    public async Task<bool> CheckCaAsync(CancellationToken cancellationToken)
    {
        if (rotator is null || Material is null)
        {
            return false;
        }

        var state = await rotator.CheckAsync(cancellationToken).ConfigureAwait(false);
        return Material.Update(state);
    }

    /// <summary>Runs <see cref="CheckCaAsync"/> every <c>ca.rotation.checkInterval</c> until cancelled. A failed check
    /// (API server unreachable, a damaged Secret) is logged and retried next interval; the CA in use stays.</summary>
    public async Task RunCaRotationAsync(CancellationToken cancellationToken)
    {
        while (rotator is not null && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.CaCheckInterval, time, cancellationToken).ConfigureAwait(false);
                if (await CheckCaAsync(cancellationToken).ConfigureAwait(false))
                {
                    logger.LogInformation("Certificate material changed: CA {Signer} signs, {Anchors} trust anchor(s) in the bundles",
                        Material!.Authority.Fingerprint, Material.Current.Anchors.Length);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogWarning("CA rotation check failed: {Error}; the CA in use is kept and the check runs again in {Interval}", ex.Message, options.CaCheckInterval);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await Namespaces.DisposeAsync().ConfigureAwait(false);
}
