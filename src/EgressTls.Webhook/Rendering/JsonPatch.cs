using System.Globalization;
using System.Text.Json.Nodes;
using EgressTls.Core.Patching;

namespace EgressTls.Webhook.Rendering;

/// <summary>
/// A small RFC 6902 applier for <c>render</c>, so the printed object is exactly what the API server makes
/// of our patch: <c>add</c> (object member set, array insert at an index or append at <c>-</c>; the parent
/// must exist), <c>replace</c> (the target must exist), <c>test</c> (deep equality) and <c>remove</c>.
/// Pointers follow RFC 6901 (<c>~1</c> is <c>/</c>, <c>~0</c> is <c>~</c>). The input is never modified; a
/// failing operation fails the whole patch.
/// </summary>
internal static class JsonPatch
{
    /// <summary>Returns a patched copy of <paramref name="document"/>.</summary>
    /// <exception cref="JsonPatchException">An operation cannot be applied; the message names it.</exception>
    public static JsonNode? Apply(JsonNode? document, IEnumerable<PatchOperation> operations)
    {
        var root = document?.DeepClone();
        var index = 0;
        foreach (var op in operations)
        {
            try
            {
                root = ApplyOne(root, op);
            }
            catch (JsonPatchException ex)
            {
                throw new JsonPatchException($"operation {index} ({op.Op} {op.Path}): {ex.Message}");
            }

            index++;
        }

        return root;
    }

    /// <summary>Splits an RFC 6901 pointer into unescaped reference tokens.</summary>
    public static IReadOnlyList<string> ParsePointer(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }

        if (pointer[0] != '/')
        {
            throw new JsonPatchException($"\"{pointer}\" is not a JSON pointer (must start with /)");
        }

        var tokens = pointer[1..].Split('/');
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            for (var j = 0; j < token.Length; j++)
            {
                if (token[j] == '~' && (j + 1 >= token.Length || token[j + 1] is not ('0' or '1')))
                {
                    throw new JsonPatchException($"invalid escape in \"{pointer}\" (~ must be followed by 0 or 1)");
                }
            }

            // RFC 6901 section 4: ~1 first, then ~0, so "~01" becomes "~1" and not "/".
            tokens[i] = token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
        }

        return tokens;
    }

    private static JsonNode? ApplyOne(JsonNode? root, PatchOperation op)
    {
        var tokens = ParsePointer(op.Path);
        switch (op.Op)
        {
            case "add":
                return Add(root, tokens, op.Value?.DeepClone());
            case "replace":
                if (tokens.Count == 0)
                {
                    return op.Value?.DeepClone();
                }

                Replace(root, tokens, op.Value?.DeepClone());
                return root;
            case "test":
                var actual = tokens.Count == 0 ? root : Resolve(root, tokens, tokens.Count);
                if (!JsonNode.DeepEquals(actual, op.Value))
                {
                    throw new JsonPatchException($"test failed: found {actual?.ToJsonString() ?? "null"}");
                }

                return root;
            case "remove":
                if (tokens.Count == 0)
                {
                    return null;
                }

                Remove(root, tokens);
                return root;
            default:
                throw new JsonPatchException($"unsupported operation \"{op.Op}\"");
        }
    }

    private static JsonNode? Add(JsonNode? root, IReadOnlyList<string> tokens, JsonNode? value)
    {
        if (tokens.Count == 0)
        {
            return value;
        }

        var parent = Resolve(root, tokens, tokens.Count - 1);
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj:
                obj[last] = value;
                break;
            case JsonArray array when last == "-":
                array.Add(value);
                break;
            case JsonArray array:
                var at = ArrayIndex(last, array.Count + 1);
                array.Insert(at, value);
                break;
            default:
                throw new JsonPatchException($"the parent of \"{last}\" is {Describe(parent)}, not an object or array");
        }

        return root;
    }

    private static void Replace(JsonNode? root, IReadOnlyList<string> tokens, JsonNode? value)
    {
        var parent = Resolve(root, tokens, tokens.Count - 1);
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(last):
                obj[last] = value;
                break;
            case JsonArray array:
                array[ArrayIndex(last, array.Count)] = value;
                break;
            default:
                throw new JsonPatchException($"\"{last}\" does not exist");
        }
    }

    private static void Remove(JsonNode? root, IReadOnlyList<string> tokens)
    {
        var parent = Resolve(root, tokens, tokens.Count - 1);
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(last):
                obj.Remove(last);
                break;
            case JsonArray array:
                array.RemoveAt(ArrayIndex(last, array.Count));
                break;
            default:
                throw new JsonPatchException($"\"{last}\" does not exist");
        }
    }

    // The node at tokens[0..count), which must exist.
    private static JsonNode? Resolve(JsonNode? root, IReadOnlyList<string> tokens, int count)
    {
        var node = root;
        for (var i = 0; i < count; i++)
        {
            var token = tokens[i];
            node = node switch
            {
                JsonObject obj when obj.TryGetPropertyValue(token, out var child) => child,
                JsonArray array => array[ArrayIndex(token, array.Count)],
                _ => throw new JsonPatchException($"\"/{string.Join('/', tokens.Take(i + 1))}\" does not exist"),
            };
        }

        return node;
    }

    // RFC 6901: decimal digits without leading zeros; must be below exclusiveLimit.
    private static int ArrayIndex(string token, int exclusiveLimit)
    {
        if (token.Length == 0 || (token.Length > 1 && token[0] == '0') || !token.All(char.IsAsciiDigit)
            || !int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            throw new JsonPatchException($"\"{token}\" is not an array index");
        }

        if (index >= exclusiveLimit)
        {
            throw new JsonPatchException($"array index {index} is out of bounds");
        }

        return index;
    }

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue => "a scalar",
        _ => node.GetType().Name,
    };
}
