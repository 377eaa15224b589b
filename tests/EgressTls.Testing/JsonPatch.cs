using System.Globalization;
using System.Text.Json.Nodes;

namespace EgressTls.Testing;

/// <summary>A minimal RFC 6902 JSON patch (add, replace, remove, test) for the stand-in's PATCH.</summary>
internal static class JsonPatch
{
    /// <summary>Applies <paramref name="ops"/> in place; returns an error message or null.</summary>
    public static string? Apply(JsonObject target, JsonArray? ops)
    {
        if (ops is null)
        {
            return "a JSON patch must be an array";
        }

        foreach (var op in ops)
        {
            var kind = (string?)op?["op"];
            var path = (string?)op?["path"] ?? "";
            var parts = path.Split('/').Skip(1).Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
            if (parts.Length == 0)
            {
                return "the stand-in does not patch the root";
            }

            JsonNode? parent = target;
            foreach (var part in parts[..^1])
            {
                parent = parent switch
                {
                    JsonObject o => o[part],
                    JsonArray a when int.TryParse(part, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                    _ => null,
                };
                if (parent is null)
                {
                    return $"path {path}: parent does not exist";
                }
            }

            var leaf = parts[^1];
            var value = op!["value"]?.DeepClone();
            switch (kind, parent)
            {
                case ("add" or "replace", JsonObject o):
                    if (kind == "replace" && !o.ContainsKey(leaf))
                    {
                        return $"path {path}: nothing to replace";
                    }

                    o[leaf] = value;
                    break;
                case ("add", JsonArray a):
                    if (leaf == "-")
                    {
                        a.Add(value);
                    }
                    else
                    {
                        a.Insert(int.Parse(leaf, CultureInfo.InvariantCulture), value);
                    }

                    break;
                case ("replace", JsonArray a):
                    a[int.Parse(leaf, CultureInfo.InvariantCulture)] = value;
                    break;
                case ("remove", JsonObject o):
                    if (!o.Remove(leaf))
                    {
                        return $"path {path}: nothing to remove";
                    }

                    break;
                case ("remove", JsonArray a):
                    a.RemoveAt(int.Parse(leaf, CultureInfo.InvariantCulture));
                    break;
                case ("test", JsonObject o):
                    if (!JsonNode.DeepEquals(o[leaf], value))
                    {
                        return $"path {path}: test failed";
                    }

                    break;
                default:
                    return $"unsupported JSON patch operation {kind} at {path}";
            }
        }

        return null;
    }
}
