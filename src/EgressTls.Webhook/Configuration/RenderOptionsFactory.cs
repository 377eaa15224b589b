using EgressTls.Core.Rendering;

namespace EgressTls.Webhook.Configuration;

/// <summary>Maps the configuration file to the core's <see cref="RenderOptions"/>.</summary>
internal static class RenderOptionsFactory
{
    /// <summary>
    /// The render options for <paramref name="config"/>. <c>cilium.secretsMode: auto</c> is resolved from the
    /// version here (1.17+ defaults to SDS for new installs, older versions read policy Secrets inline;
    /// cilium-facts 2.1); in a cluster the Kubernetes layer may refine it from <c>kube-system/cilium-config</c>.
    /// </summary>
    public static RenderOptions Create(WebhookConfig config)
    {
        ConfigLoader.TryParseCiliumVersion(config.Cilium.Version, out var version);
        return new RenderOptions
        {
            Cilium = new CiliumTarget
            {
                Version = version,
                SecretsMode = ResolveSecretsMode(config.Cilium.SecretsMode, version),
                EnvoySecretsNamespace = config.Cilium.EnvoySecretsNamespace,
                PolicySecretsNamespace = config.Cilium.PolicySecretsNamespace,
                ClusterwideEnvoyConfig = config.Cilium.ClusterwideEnvoyConfig,
            },
            WebhookNamespace = config.Namespace,
            TrustBundleName = config.TrustBundle.Name,
            TrustMountPath = config.TrustBundle.MountPath,
            ExcludedNamespaces = [.. config.ExcludedNamespaces],
            FluxNotificationControllerSelector = config.Flux.NotificationControllerSelector.WithComparers(StringComparer.Ordinal),
            InterceptGroups = [.. config.InterceptGroups.Select(g =>
                new InterceptGroup(g.Name, g.Hosts, g.NamespaceSelector.MatchLabels.WithComparers(StringComparer.Ordinal)))],
        };
    }

    /// <summary><c>auto</c>, <c>sds</c> or <c>inline</c> (already validated) to the core's enum.</summary>
    public static SecretsMode ResolveSecretsMode(string mode, Version version) => mode switch
    {
        "sds" => SecretsMode.Sds,
        "inline" => SecretsMode.Inline,
        _ => version >= new Version(1, 17) ? SecretsMode.Sds : SecretsMode.Inline,
    };
}
