using EgressTls.Core.Rendering;
using EgressTls.Pki;

namespace EgressTls.Kubernetes;

/// <summary>Everything <see cref="KubernetesShell.StartAsync"/> needs, from the <c>serve</c> config file.</summary>
public sealed record KubernetesShellOptions
{
    /// <summary>Where the CA comes from and where it is stored (<c>ca.*</c>).</summary>
    public CaStoreOptions Ca { get; init; } = new();

    /// <summary>How a generated CA is made (<c>ca.keyAlgorithm</c>, <c>ca.duration</c>).</summary>
    public CaOptions CaGeneration { get; init; } = new();

    /// <summary>A new CA is introduced once the active one has less than this left (<c>ca.renewBefore</c>).</summary>
    public TimeSpan CaRenewBefore { get; init; } = TimeSpan.FromHours(8760);

    /// <summary>How long a new CA is in every trust bundle before it signs (<c>ca.rotation.propagation</c>).</summary>
    public TimeSpan CaPropagation { get; init; } = CaRotationPolicy.DefaultPropagation;

    /// <summary>How often each replica reads the CA Secret to follow (and take its turn in) a rotation (<c>ca.rotation.checkInterval</c>).</summary>
    public TimeSpan CaCheckInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The rotation timing: a retired CA stays for a leaf lifetime plus two check intervals (a replica
    /// that has not yet seen a promotion may sign with the old CA for up to one interval).</summary>
    public CaRotationPolicy CaRotation => new(CaRenewBefore, CaPropagation, Leaf.Duration + CaCheckInterval + CaCheckInterval);

    /// <summary>Leaf lifetime and renewal (<c>leaf.duration</c>, <c>leaf.renewBefore</c>).</summary>
    public RenewalPolicy Leaf { get; init; } = RenewalPolicy.Default;

    /// <summary>Leaf key algorithm (<c>leaf.keyAlgorithm</c>).</summary>
    public KeyAlgorithm LeafAlgorithm { get; init; } = KeyAlgorithm.EcdsaP256;

    /// <summary>The public roots PEM (contents of <c>publicRoots.file</c>).</summary>
    public string? PublicRootsPem { get; init; }

    /// <summary>The configured Cilium target (<c>cilium.*</c>).</summary>
    public CiliumTarget Cilium { get; init; } = new();

    /// <summary>True when <c>cilium.secretsMode</c> is <c>auto</c>.</summary>
    public bool DetectCilium { get; init; } = true;

    /// <summary>Applier settings; <see cref="ApplierOptions.WebhookNamespace"/> is taken from <see cref="Ca"/>.</summary>
    public ApplierOptions Applier { get; init; } = new();

    /// <summary>For <see cref="CaSource.CertManager"/>: a Secret or ConfigMap in the webhook namespace whose
    /// <c>ca.crt</c> is the issuer's CA (<c>ca.certManager.caSecretName</c>); empty: learn it from issued Secrets.</summary>
    public string CertManagerCaSecretName { get; init; } = "";

    /// <summary>Retry settings of every API call.</summary>
    public ApiRetryOptions Retry { get; init; } = new();

    /// <summary>Namespace informer timing (<c>reconciler.resyncPeriod</c>).</summary>
    public InformerOptions Informer { get; init; } = new();

    /// <summary>Budget for start-up (CA load or creation, detection, first namespace list).</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
