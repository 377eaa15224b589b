namespace EgressTls.Core.Rendering;

/// <summary>The Cilium installation the generated objects are for.</summary>
public sealed record CiliumTarget
{
    /// <summary>Cilium minor version (1.14 to 1.18); decides which fields and combinations are valid.</summary>
    public Version Version { get; init; } = new(1, 17);

    /// <summary>How policy TLS Secrets reach Envoy.</summary>
    public SecretsMode SecretsMode { get; init; } = SecretsMode.Sds;

    /// <summary>Namespace whose Secrets Cilium publishes to Envoy by SDS for CiliumEnvoyConfig
    /// (<c>envoyConfig.secretsNamespace.name</c>); mTLS client certificates are written here.</summary>
    public string EnvoySecretsNamespace { get; init; } = "cilium-secrets";

    /// <summary>Namespace the agent reads policy Secrets from in <see cref="SecretsMode.Inline"/> mode
    /// (<c>tls.secretsNamespace.name</c>).</summary>
    public string PolicySecretsNamespace { get; init; } = "cilium-secrets";

    /// <summary>Generate CiliumClusterwideEnvoyConfig instead of namespaced CiliumEnvoyConfig.</summary>
    public bool ClusterwideEnvoyConfig { get; init; }

    /// <summary>True when this Cilium honours <c>enableDefaultDeny</c> (1.16+).</summary>
    public bool SupportsEnableDefaultDeny => Version >= new Version(1, 16);

    /// <summary>True when a CiliumEnvoyConfig may use <c>combined_validation_context</c>, whose SDS part Cilium
    /// qualifies and points at its xDS server (1.17+, cilium/cilium PR #34449); older agents fill in only
    /// <c>validation_context_sds_secret_config</c>.</summary>
    public bool SupportsCombinedValidationContext => Version >= new Version(1, 17);

    /// <summary>True when interception and a listener redirect may share a port for one pod (1.18+, PR #37887).</summary>
    public bool AllowsMixedParsersOnPort => Version >= new Version(1, 18);
}
