using System.Collections.Immutable;

namespace EgressTls.Webhook.Configuration;

// The JSON file of `egress-tls serve --config FILE` (the chart renders it into a ConfigMap). Every
// section and field is optional; the defaults are the chart's defaults. Field names are the camelCase
// of the property names; unknown fields are errors (a typo must not silently fall back to a default).

/// <summary>The whole configuration file.</summary>
internal sealed record WebhookConfig
{
    /// <summary>The webhook's own namespace; the <c>POD_NAMESPACE</c> environment variable overrides it.</summary>
    public string Namespace { get; init; } = "egress-tls";

    public ServerConfig Server { get; init; } = new();

    public CiliumConfig Cilium { get; init; } = new();

    public CaConfig Ca { get; init; } = new();

    public LeafConfig Leaf { get; init; } = new();

    public PublicRootsConfig PublicRoots { get; init; } = new();

    public TrustBundleConfig TrustBundle { get; init; } = new();

    public ImmutableArray<InterceptGroupConfig> InterceptGroups { get; init; } = [];

    public FluxConfig Flux { get; init; } = new();

    public AdmissionConfig Admission { get; init; } = new();

    public ReconcilerConfig Reconciler { get; init; } = new();

    public ServingCertificateConfig ServingCertificate { get; init; } = new();

    public ImmutableArray<string> ExcludedNamespaces { get; init; } = ["kube-system", "kube-public", "kube-node-lease"];

    /// <summary>Serilog minimum level: Verbose, Debug, Information, Warning, Error or Fatal.</summary>
    public string LogLevel { get; init; } = "Information";
}

/// <summary><c>server</c>: the HTTPS admission port, its certificate, and the plain-HTTP metrics port.</summary>
internal sealed record ServerConfig
{
    /// <summary>HTTPS port of <c>/mutate</c>, <c>/healthz</c>, <c>/readyz</c>; 0 picks a free port (tests).</summary>
    public int Port { get; init; } = 8443;

    /// <summary>PEM certificate (chain) file; with <see cref="KeyFile"/>, reloaded when it changes. Empty: ephemeral self-signed.</summary>
    public string CertFile { get; init; } = "";

    /// <summary>PEM private key file.</summary>
    public string KeyFile { get; init; } = "";

    /// <summary>Plain-HTTP port of <c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c>; 0 picks a free port (tests).</summary>
    public int MetricsPort { get; init; } = 9090;

    /// <summary>Largest accepted AdmissionReview body; the API server caps objects at 3 MiB (etcd's request limit).</summary>
    public long MaxRequestBodyBytes { get; init; } = 3 * 1024 * 1024;

    /// <summary>How long requests are still served after SIGTERM, with <c>/readyz</c> failing, so that endpoints
    /// drop the replica before its port closes (<see cref="Serving.ShutdownDrain"/>); zero closes at once.</summary>
    public TimeSpan ShutdownDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long requests in flight get to finish once the listeners close after the delay.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary><c>cilium</c>: the Cilium installation the generated objects are for.</summary>
internal sealed record CiliumConfig
{
    public string Version { get; init; } = "1.17";

    /// <summary><c>auto</c>, <c>sds</c> or <c>inline</c>.</summary>
    public string SecretsMode { get; init; } = "auto";

    public string EnvoySecretsNamespace { get; init; } = "cilium-secrets";

    public string PolicySecretsNamespace { get; init; } = "cilium-secrets";

    public bool ClusterwideEnvoyConfig { get; init; }
}

/// <summary><c>ca</c>: the interception CA.</summary>
internal sealed record CaConfig
{
    /// <summary><c>generate</c>, <c>import</c> or <c>cert-manager</c>.</summary>
    public string Source { get; init; } = "generate";

    public string SecretName { get; init; } = "egress-tls-ca";

    public string ImportSecretName { get; init; } = "";

    public string KeyAlgorithm { get; init; } = "ecdsa-p256";

    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(87600);

    public TimeSpan RenewBefore { get; init; } = TimeSpan.FromHours(8760);

    public CaRotationConfig Rotation { get; init; } = new();

    public CertManagerConfig CertManager { get; init; } = new();
}

/// <summary><c>ca.rotation</c>: how a new CA is rolled in (generate and import modes).</summary>
internal sealed record CaRotationConfig
{
    /// <summary>How long a new CA is in every trust bundle before it signs leaves.</summary>
    public TimeSpan Propagation { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How often each replica reads the CA Secret.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary><c>ca.certManager</c>.</summary>
internal sealed record CertManagerConfig
{
    public string IssuerKind { get; init; } = "ClusterIssuer";

    public string IssuerName { get; init; } = "";

    /// <summary>Secret or ConfigMap (webhook namespace, key <c>ca.crt</c>) with the issuer's CA for trust bundles;
    /// empty: the <c>ca.crt</c> of the first Secret cert-manager issued.</summary>
    public string CaSecretName { get; init; } = "";
}

/// <summary><c>leaf</c>: the per-domain certificates Envoy presents to pods.</summary>
internal sealed record LeafConfig
{
    public string KeyAlgorithm { get; init; } = "ecdsa-p256";

    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(8760);

    public TimeSpan RenewBefore { get; init; } = TimeSpan.FromHours(720);
}

/// <summary><c>publicRoots</c>: the public CA bundle merged into trust bundles and used upstream.</summary>
internal sealed record PublicRootsConfig
{
    public string File { get; init; } = "/etc/ssl/certs/ca-certificates.crt";
}

/// <summary><c>trustBundle</c>: the namespace ConfigMap and where pods mount it.</summary>
internal sealed record TrustBundleConfig
{
    public string Name { get; init; } = "egress-tls-trust-bundle";

    public string MountPath { get; init; } = "/etc/egress-tls/trust";
}

/// <summary>One entry of <c>interceptGroups</c>: installation-wide interception defaults.</summary>
internal sealed record InterceptGroupConfig
{
    public string Name { get; init; } = "";

    public ImmutableArray<string> Hosts { get; init; } = [];

    public LabelSelectorConfig NamespaceSelector { get; init; } = new();
}

/// <summary>A Kubernetes label selector (<c>matchLabels</c> only).</summary>
internal sealed record LabelSelectorConfig
{
    public ImmutableSortedDictionary<string, string> MatchLabels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
}

/// <summary><c>flux</c>: Flux notification-controller Provider support.</summary>
internal sealed record FluxConfig
{
    public bool Enabled { get; init; } = true;

    public ImmutableSortedDictionary<string, string> NotificationControllerSelector { get; init; } =
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("app", "notification-controller")]);
}

/// <summary><c>admission</c>.</summary>
internal sealed record AdmissionConfig
{
    /// <summary>Budget for reading context and applying generated objects during one admission; must stay
    /// well under the webhook timeout (10s default, 30s max) so the API server gets our answer, not its own timeout.</summary>
    public TimeSpan ApplyTimeout { get; init; } = TimeSpan.FromSeconds(4);
}

/// <summary><c>reconciler</c>.</summary>
internal sealed record ReconcilerConfig
{
    public bool Enabled { get; init; } = true;

    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Generated objects younger than this, or desired by a pass less than this ago, are never
    /// garbage-collected (an admission may have just created them for a pod the reconciler's caches do not show
    /// yet, or another replica may still trust that they exist: half this, at most a minute).</summary>
    public TimeSpan GarbageCollectionGracePeriod { get; init; } = TimeSpan.FromMinutes(2);

    public LeaderElectionConfig LeaderElection { get; init; } = new();
}

/// <summary><c>reconciler.leaderElection</c>.</summary>
internal sealed record LeaderElectionConfig
{
    public bool Enabled { get; init; } = true;

    public string LeaseName { get; init; } = "egress-tls-leader";

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary><c>servingCertificate</c>: how the webhook's own HTTPS certificate is managed in a cluster.</summary>
internal sealed record ServingCertificateConfig
{
    /// <summary><c>self-managed</c> or <c>cert-manager</c>.</summary>
    public string Mode { get; init; } = "self-managed";

    public string SecretName { get; init; } = "egress-tls-serving-cert";

    public string ServiceName { get; init; } = "egress-tls";

    public string WebhookConfigurationName { get; init; } = "egress-tls";

    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(8760);

    public TimeSpan RenewBefore { get; init; } = TimeSpan.FromHours(720);
}
