using System.Text.Json.Nodes;

namespace EgressTls.Testing;

/// <summary>
/// The stand-in's simplified model of server-side apply field ownership: a field is a top-level key
/// (<c>type</c>, <c>immutable</c>), or a key one level below an object-valued top-level key (<c>data.tls.crt</c>,
/// <c>spec.endpointSelector</c>), or a label/annotation/ownerReferences under <c>metadata</c>. The real API server
/// tracks every leaf (structured-merge-diff); this granularity is enough to model conflicts between managers.
/// </summary>
public static class ManagedFields
{
    /// <summary>The field paths set in <paramref name="obj"/>.</summary>
    public static SortedSet<string> Paths(JsonObject obj)
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind" or "status")
            {
                continue;
            }

            if (key == "metadata")
            {
                if (value is not JsonObject meta)
                {
                    continue;
                }

                foreach (var section in new[] { "labels", "annotations" })
                {
                    if (meta[section] is JsonObject map)
                    {
                        foreach (var (k, _) in map)
                        {
                            paths.Add($"metadata.{section}\u0000{k}");
                        }
                    }
                }

                if (meta["ownerReferences"] is not null)
                {
                    paths.Add("metadata\u0000ownerReferences");
                }

                continue;
            }

            if (value is JsonObject child && child.Count > 0)
            {
                foreach (var (k, _) in child)
                {
                    paths.Add($"{key}\u0000{k}");
                }
            }
            else
            {
                paths.Add(key);
            }
        }

        return paths;
    }

    /// <summary>The value at <paramref name="path"/>, or null.</summary>
    public static JsonNode? Get(JsonObject obj, string path)
    {
        var (parent, leaf) = Split(path);
        return Resolve(obj, parent, create: false) is { } p ? p[leaf] : null;
    }

    /// <summary>Sets <paramref name="path"/> to a copy of <paramref name="value"/>, creating parents.</summary>
    public static void Set(JsonObject obj, string path, JsonNode? value)
    {
        var (parent, leaf) = Split(path);
        Resolve(obj, parent, create: true)![leaf] = value?.DeepClone();
    }

    /// <summary>Removes <paramref name="path"/> (and an emptied parent map).</summary>
    public static void Remove(JsonObject obj, string path)
    {
        var (parent, leaf) = Split(path);
        if (Resolve(obj, parent, create: false) is { } p)
        {
            p.Remove(leaf);
        }
    }

    /// <summary>FieldsV1 (<c>{"f:data":{"f:tls.crt":{}}}</c>) for a set of paths.</summary>
    public static JsonObject ToFieldsV1(IEnumerable<string> paths)
    {
        var root = new JsonObject();
        foreach (var path in paths)
        {
            var node = root;
            foreach (var part in path.Replace("metadata.labels", "metadata\u0000labels", StringComparison.Ordinal)
                         .Replace("metadata.annotations", "metadata\u0000annotations", StringComparison.Ordinal).Split('\u0000'))
            {
                var key = "f:" + part;
                if (node[key] is not JsonObject next)
                {
                    next = new JsonObject();
                    node[key] = next;
                }

                node = next;
            }
        }

        return root;
    }

    private static (string[] Parent, string Leaf) Split(string path)
    {
        var parts = path.Replace("metadata.labels", "metadata\u0000labels", StringComparison.Ordinal)
            .Replace("metadata.annotations", "metadata\u0000annotations", StringComparison.Ordinal).Split('\u0000');
        return (parts[..^1], parts[^1]);
    }

    private static JsonObject? Resolve(JsonObject obj, string[] parents, bool create)
    {
        var node = obj;
        foreach (var p in parents)
        {
            if (node[p] is not JsonObject next)
            {
                if (!create)
                {
                    return null;
                }

                next = new JsonObject();
                node[p] = next;
            }

            node = next;
        }

        return node;
    }
}
