using System.Globalization;
using System.Text.Json.Nodes;
using EgressTls.Core.Patching;

namespace EgressTls.Core.Tests.Support;

/// <summary>A minimal RFC 6902 applier (add, replace, remove of a member, test) for checking patches without a cluster.
/// kubectl's own patch code checks the same patches in <c>GoldenTests</c>.</summary>
internal static class JsonPatch
{
    public static JsonObject Apply(JsonObject document, IEnumerable<PatchOperation> operations)
    {
        var result = document.DeepClone().AsObject();
        foreach (var op in operations)
        {
            var tokens = Parse(op.Path);
            var parent = Resolve(result, tokens[..^1]) ?? throw new InvalidOperationException($"missing parent of {op.Path}");
            var last = tokens[^1];
            switch (op.Op, parent)
            {
                case ("add", JsonObject obj):
                    obj[last] = op.Value?.DeepClone();
                    break;
                case ("add", JsonArray array) when last == "-":
                    array.Add(op.Value?.DeepClone());
                    break;
                case ("add", JsonArray array):
                    array.Insert(int.Parse(last, CultureInfo.InvariantCulture), op.Value?.DeepClone());
                    break;
                case ("replace", JsonObject obj) when obj.ContainsKey(last):
                    obj[last] = op.Value?.DeepClone();
                    break;
                case ("replace", JsonArray array):
                    array[int.Parse(last, CultureInfo.InvariantCulture)] = op.Value?.DeepClone();
                    break;
                case ("remove", JsonObject obj) when obj.ContainsKey(last):
                    obj.Remove(last);
                    break;
                case ("test", _):
                    var current = Resolve(result, tokens);
                    if (!JsonNode.DeepEquals(current, op.Value))
                    {
                        throw new InvalidOperationException($"test failed at {op.Path}");
                    }

                    break;
                default:
                    throw new InvalidOperationException($"cannot {op.Op} {op.Path}");
            }
        }

        return result;
    }

    private static string[] Parse(string pointer) =>
        pointer.Split('/').Skip(1).Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();

    private static JsonNode? Resolve(JsonNode root, IEnumerable<string> tokens)
    {
        JsonNode? node = root;
        foreach (var token in tokens)
        {
            node = node switch
            {
                JsonObject obj => obj.TryGetPropertyValue(token, out var child) ? child : throw new InvalidOperationException($"missing {token}"),
                JsonArray array => array[int.Parse(token, CultureInfo.InvariantCulture)],
                _ => throw new InvalidOperationException($"cannot descend into {token}"),
            };
        }

        return node;
    }
}
