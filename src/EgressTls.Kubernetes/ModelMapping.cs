using System.Collections.Immutable;
using EgressTls.Core.Rendering;
using k8s.Models;

namespace EgressTls.Kubernetes;

/// <summary>Pure conversions from client models to the core's inputs.</summary>
public static class ModelMapping
{
    /// <summary>The namespace's name, labels and annotations.</summary>
    public static NamespaceInfo ToNamespaceInfo(V1Namespace ns) => new(
        ns.Metadata?.Name ?? "",
        (ns.Metadata?.Labels ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal),
        (ns.Metadata?.Annotations ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal));

    /// <summary>Type and key names of a Secret; its data is not looked at.</summary>
    public static SecretSummary ToSecretSummary(V1Secret secret) => new(
        secret.Metadata?.Name ?? "",
        string.IsNullOrEmpty(secret.Type) ? "Opaque" : secret.Type,
        (secret.Data?.Keys ?? []).Concat(secret.StringData?.Keys ?? []).ToImmutableSortedSet(StringComparer.Ordinal));
}
