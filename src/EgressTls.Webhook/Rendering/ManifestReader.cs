using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Serialization;
using YamlDotNet.Core;

namespace EgressTls.Webhook.Rendering;

/// <summary>Reads the input of <c>render</c>: a YAML stream or JSON, with <c>List</c> objects (and
/// <c>PodList</c>, <c>DeploymentList</c>...) flattened into their items, as <c>kubectl apply -f</c> does.</summary>
internal static class ManifestReader
{
    /// <summary>The objects of <paramref name="text"/> in order.</summary>
    /// <exception cref="ManifestException">Not YAML/JSON, or a document is not a Kubernetes object.</exception>
    public static IReadOnlyList<JsonObject> Read(string text, string source)
    {
        IReadOnlyList<JsonNode?> documents;
        try
        {
            documents = Yaml.ParseStream(text);
        }
        catch (YamlLimitException ex)
        {
            throw new ManifestException($"{source}: line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}");
        }
        catch (YamlException ex)
        {
            throw new ManifestException($"{source}: not valid YAML or JSON: {ex.Message} (line {ex.Start.Line}, column {ex.Start.Column})");
        }

        var objects = new List<JsonObject>();
        for (var i = 0; i < documents.Count; i++)
        {
            Flatten(documents[i], $"{source}: document {i + 1}", objects);
        }

        return objects;
    }

    private static void Flatten(JsonNode? node, string where, List<JsonObject> into)
    {
        if (node is not JsonObject obj || Text(obj["apiVersion"]) is not { Length: > 0 } || Text(obj["kind"]) is not { Length: > 0 } kind)
        {
            throw new ManifestException($"{where}: expected a Kubernetes object (a mapping with apiVersion and kind)");
        }

        if (kind.EndsWith("List", StringComparison.Ordinal) && obj["items"] is JsonArray items)
        {
            for (var i = 0; i < items.Count; i++)
            {
                Flatten(items[i], $"{where}, item {i}", into);
            }

            return;
        }

        into.Add(obj);
    }

    /// <summary>The string value of <paramref name="node"/>, or <c>null</c>.</summary>
    public static string? Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}
