using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>A list of <see cref="LiveObject"/> (a custom resource list response).</summary>
public sealed class LiveObjectList : IKubernetesObject<V1ListMeta>, IItems<LiveObject>
{
    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    /// <inheritdoc />
    [JsonPropertyName("items")]
    public IList<LiveObject> Items { get; set; } = [];
}
