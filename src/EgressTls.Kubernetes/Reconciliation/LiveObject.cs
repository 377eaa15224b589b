using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>Any object as a list or watch returns it (custom resources: Cilium kinds, Flux Providers); fields
/// beyond apiVersion, kind and metadata are kept as they came.</summary>
public sealed class LiveObject : IKubernetesObject<V1ObjectMeta>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>Everything else (spec, status, data...).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Rest { get; set; }

    /// <summary>The object as JSON.</summary>
    public JsonObject ToJson() => JsonNode.Parse(KubernetesJson.Serialize(this))!.AsObject();
}
