using System.Globalization;
using System.Text.Json.Nodes;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>A managed object as the cluster holds it (from an informer cache).</summary>
/// <param name="Manifest">The object as JSON (metadata, spec or data).</param>
public sealed record LiveState(JsonObject Manifest)
{
    /// <summary>apiVersion.</summary>
    public string ApiVersion => (string?)Manifest["apiVersion"] ?? "";

    /// <summary>kind.</summary>
    public string Kind => (string?)Manifest["kind"] ?? "";

    /// <summary>metadata.namespace (null when cluster-scoped).</summary>
    public string? Namespace => (string?)Manifest["metadata"]?["namespace"];

    /// <summary>metadata.name.</summary>
    public string Name => (string?)Manifest["metadata"]?["name"] ?? "";

    /// <summary>metadata.resourceVersion.</summary>
    public string? ResourceVersion => (string?)Manifest["metadata"]?["resourceVersion"];

    /// <summary>metadata.creationTimestamp, when present and readable.</summary>
    public DateTimeOffset? Created =>
        Manifest["metadata"]?["creationTimestamp"] is JsonValue v && v.TryGetValue<string>(out var s)
        && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    /// <summary>The content-hash annotation the applier wrote, if any.</summary>
    public string? ContentHashValue => (string?)Manifest["metadata"]?["annotations"]?[ContentHash.Annotation];

    /// <summary>The key shared with desired objects.</summary>
    public string Key => ObjectKeys.Of(ApiVersion, Kind, Namespace, Name);

    /// <summary>The apply rank of the kind (deletion runs in reverse).</summary>
    public int Rank => Kind switch
    {
        "Secret" or "ConfigMap" => 0,
        "CiliumEnvoyConfig" or "CiliumClusterwideEnvoyConfig" => 1,
        "CiliumNetworkPolicy" or "CiliumClusterwideNetworkPolicy" => 2,
        _ => 3,
    };
}
