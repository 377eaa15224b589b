using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Core.Serialization;

namespace EgressTls.Core.Tests.Support;

/// <summary>Writes a render result as the golden YAML stream.</summary>
internal static class GoldenWriter
{
    public static string Write(GoldenCase golden, RenderResult result, JsonObject? mutated)
    {
        var documents = new List<JsonNode?>();
        switch (result)
        {
            case Skipped skipped:
                documents.Add(new JsonObject { ["result"] = "Skipped", ["reason"] = skipped.Reason, ["detail"] = skipped.Detail });
                break;
            case Rejected rejected:
                documents.Add(new JsonObject
                {
                    ["result"] = "Rejected",
                    ["errors"] = new JsonArray([.. rejected.Errors.Select(e => (JsonNode)JsonValue.Create(e.ToString()))]),
                });
                break;
            case Mutated m:
                documents.Add(new JsonObject
                {
                    ["result"] = "Mutated",
                    ["warnings"] = new JsonArray([.. m.Warnings.Select(w => (JsonNode)JsonValue.Create(w))]),
                    ["patch"] = PatchJson(m),
                });
                documents.Add(mutated);
                foreach (var o in m.Objects)
                {
                    var entry = new JsonObject();
                    if (o.Content is not null)
                    {
                        entry["content"] = Content(o.Content);
                    }

                    entry["manifest"] = o.Manifest.DeepClone();
                    documents.Add(entry);
                }

                break;
        }

        return $"# golden output of {golden.Name}.yaml; regenerate with UPDATE_GOLDEN=1\n" + Yaml.WriteStream(documents);
    }

    public static JsonArray PatchJson(Mutated m) =>
        new([.. m.Patch.Select(p =>
        {
            var op = new JsonObject { ["op"] = p.Op, ["path"] = p.Path };
            if (p.Op != "remove")
            {
                op["value"] = p.Value?.DeepClone();
            }

            return (JsonNode)op;
        })]);

    private static JsonNode Content(ObjectContent content)
    {
        var node = JsonSerializer.SerializeToNode(content, content.GetType()) as JsonObject ?? new JsonObject();
        var described = new JsonObject { ["type"] = content.GetType().Name };
        foreach (var (key, value) in node.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            described[char.ToLower(key[0], CultureInfo.InvariantCulture) + key[1..]] = value?.DeepClone();
        }

        return described;
    }
}
