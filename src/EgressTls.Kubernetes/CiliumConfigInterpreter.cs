using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes;

/// <summary>
/// Pure: decides the <see cref="CiliumTarget"/> from <c>kube-system/cilium-config</c> and the agent image
/// (cilium-facts 2.1, 4.3). <c>enable-policy-secrets-sync</c>, <c>policy-secrets-namespace</c> and
/// <c>policy-secrets-only-from-secrets-namespace</c> exist from 1.17; absent keys mean 1.15/1.16 semantics
/// (Secrets read inline). <c>envoy-secrets-namespace</c> and <c>enable-envoy-config</c> cover the CEC side.
/// </summary>
public static partial class CiliumConfigInterpreter
{
    /// <summary>The target: the configured one, with the version from the agent image when it has one and,
    /// when <paramref name="detectSecretsMode"/>, the secrets mode and namespaces from the ConfigMap.</summary>
    public static CiliumDetection Interpret(CiliumTarget configured, bool detectSecretsMode,
        IReadOnlyDictionary<string, string>? ciliumConfig, string? agentImage)
    {
        var notes = ImmutableArray.CreateBuilder<string>();
        var target = configured;
        if (ParseImageVersion(agentImage) is { } version)
        {
            if (version != configured.Version)
            {
                notes.Add($"Cilium {version} detected from the agent image {agentImage} (configured {configured.Version})");
            }

            target = target with { Version = version };
        }
        else
        {
            notes.Add($"Cilium version not detected (agent image {(agentImage ?? "not readable")}); using the configured {configured.Version}");
        }

        if (!detectSecretsMode)
        {
            return new CiliumDetection(target, notes.ToImmutable());
        }

        if (ciliumConfig is null)
        {
            var fallback = target.Version >= new Version(1, 17) ? SecretsMode.Sds : SecretsMode.Inline;
            notes.Add($"kube-system/cilium-config not readable; assuming the default secrets mode of Cilium {target.Version}: {fallback}");
            return new CiliumDetection(target with { SecretsMode = fallback }, notes.ToImmutable());
        }

        string? Get(string key) => ciliumConfig.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        if (Get("envoy-secrets-namespace") is { } envoyNs)
        {
            target = target with { EnvoySecretsNamespace = envoyNs };
        }

        if (Get("policy-secrets-namespace") is { } policyNs)
        {
            target = target with { PolicySecretsNamespace = policyNs };
        }

        switch (Get("enable-policy-secrets-sync"))
        {
            case "true":
                target = target with { SecretsMode = SecretsMode.Sds };
                notes.Add($"cilium-config enable-policy-secrets-sync=true: SDS mode (the operator copies policy Secrets into {target.PolicySecretsNamespace})");
                break;
            case "false":
                target = target with { SecretsMode = SecretsMode.Inline };
                notes.Add(Get("policy-secrets-only-from-secrets-namespace") == "false"
                    ? $"cilium-config enable-policy-secrets-sync=false, policy-secrets-only-from-secrets-namespace=false: inline mode (agent reads Secrets anywhere); policy Secrets go to {target.PolicySecretsNamespace}"
                    : $"cilium-config enable-policy-secrets-sync=false: inline mode, policy Secrets in {target.PolicySecretsNamespace}");
                break;
            default:
                target = target with { SecretsMode = SecretsMode.Inline };
                notes.Add($"cilium-config has no enable-policy-secrets-sync (Cilium 1.15/1.16 semantics): inline mode, policy Secrets in {target.PolicySecretsNamespace}");
                break;
        }

        if (Get("enable-envoy-config") != "true")
        {
            notes.Add("cilium-config enable-envoy-config is not true: CiliumEnvoyConfig listeners (mTLS injection) will not be served by Cilium");
        }

        return new CiliumDetection(target, notes.ToImmutable());
    }

    /// <summary>The minor version in an image reference such as <c>quay.io/cilium/cilium:v1.17.4@sha256:...</c>,
    /// or null (no tag, <c>latest</c>, a digest only).</summary>
    public static Version? ParseImageVersion(string? image)
    {
        if (string.IsNullOrEmpty(image))
        {
            return null;
        }

        var noDigest = image.Split('@')[0];
        var lastSlash = noDigest.LastIndexOf('/');
        var colon = noDigest.LastIndexOf(':');
        if (colon <= lastSlash)
        {
            return null;
        }

        var match = TagPattern().Match(noDigest[(colon + 1)..]);
        return match.Success
            ? new Version(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;
    }

    [GeneratedRegex(@"^v?(\d+)\.(\d+)(?:[.\-+].*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();
}
