using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>One identity for desired and live objects: <c>apiVersion/kind/namespace/name</c>, and the label
/// reading both sides share.</summary>
public static class ObjectKeys
{
    /// <summary>The key of a generated object.</summary>
    public static string Of(GeneratedObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return Of(obj.ApiVersion, obj.Kind, obj.Namespace, obj.Name);
    }

    /// <summary>The key of any object.</summary>
    public static string Of(string apiVersion, string kind, string? ns, string name) => $"{apiVersion}/{kind}/{ns}/{name}";

    /// <summary>A label of a manifest, or null.</summary>
    public static string? Label(JsonObject manifest, string key) =>
        manifest["metadata"]?["labels"] is JsonObject labels && labels[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The workload namespace an object belongs to: its source-namespace label, else its namespace.</summary>
    public static string? WorkloadNamespace(JsonObject manifest) =>
        Label(manifest, Naming.SourceNamespaceLabel) ?? (string?)manifest["metadata"]?["namespace"];

    /// <summary>True for Secrets shared by many profiles and namespaces (leaves, public roots): no
    /// source-namespace, profile or provider label.</summary>
    public static bool IsShared(JsonObject manifest) =>
        (string?)manifest["kind"] == "Secret"
        && Label(manifest, Naming.SourceNamespaceLabel) is null
        && Label(manifest, Naming.ProfileLabel) is null
        && Label(manifest, DesiredState.ProviderLabel) is null;
}
