using System.Text.Json.Nodes;

namespace EgressTls.Core.Rendering;

/// <summary>
/// An object egress-tls wants to exist. <see cref="Manifest"/> is complete except for Secret and
/// ConfigMap data, which <see cref="Content"/> describes and the shell fills in (issuing a certificate,
/// copying keys, building a bundle): the core never handles key material.
/// </summary>
/// <param name="Manifest">apiVersion, kind, metadata (name, namespace, labels, annotations) and spec/type.</param>
/// <param name="Content">How to fill data, or <c>null</c> when the manifest is complete.</param>
public sealed record GeneratedObject(JsonObject Manifest, ObjectContent? Content = null)
{
    /// <summary><c>apiVersion</c> of the manifest.</summary>
    public string ApiVersion => (string)Manifest["apiVersion"]!;

    /// <summary><c>kind</c> of the manifest.</summary>
    public string Kind => (string)Manifest["kind"]!;

    /// <summary><c>metadata.name</c>.</summary>
    public string Name => (string)Manifest["metadata"]!["name"]!;

    /// <summary><c>metadata.namespace</c>, or <c>null</c> for cluster-scoped objects.</summary>
    public string? Namespace => (string?)Manifest["metadata"]?["namespace"];

    /// <summary>
    /// Apply order required by Cilium: Secrets and ConfigMaps first, then Envoy configs, then policies
    /// (a policy naming a missing Secret or listener fails to regenerate the endpoint). Deletion runs in
    /// reverse.
    /// </summary>
    public int ApplyRank => Kind switch
    {
        "Secret" or "ConfigMap" => 0,
        "CiliumEnvoyConfig" or "CiliumClusterwideEnvoyConfig" => 1,
        "CiliumNetworkPolicy" or "CiliumClusterwideNetworkPolicy" => 2,
        _ => 3,
    };
}
