using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EgressTls.Core.Patching;

/// <summary>
/// Builds an RFC 6902 patch against a view of the document with every recorded operation applied, so
/// every operation is checked against what exists at that point: a missing map or array is created (as
/// an empty one) before its children, <c>/-</c> appends only to an array that exists (appending to a
/// missing array fails with "doc is missing path": amazon-eks-pod-identity-webhook #17, kuma #4525), and
/// a map is never added over an existing one (that would wipe the user's keys: OPA library #25).
/// Operations are recorded in the order the caller makes them, so a fixed call order gives a fixed patch.
/// </summary>
/// <remarks>
/// A short-lived, single-threaded builder; the result (<see cref="Operations"/>) is what callers keep.
/// The original document is neither copied nor changed: what the operations add, replace or remove is
/// kept beside it (keyed by the map or array it changes), and <see cref="Get"/>, <see cref="Count"/>
/// and the checks read through both. Copying the pod first cost more than the rest of the injection
/// for a pod with many containers (issue 8).
/// </remarks>
public sealed class PatchBuilder
{
    // Marks a member removed by an operation (a value no document holds).
    private static readonly JsonObject Removed = [];

    private readonly JsonObject original;
    private readonly JsonElement? originalElement;
    private readonly List<PatchOperation> operations = [];

    // Found by the identity of the map or array they change, with a linear search: a render changes a few
    // dozen of them, and hashing node identities (RuntimeHelpers.GetHashCode) cost more than the search.
    private readonly List<(JsonNode Map, string Key, JsonNode Value)> members = [];
    private readonly List<(JsonArray Array, List<JsonNode> Items)> appended = [];

    /// <summary>Starts from <paramref name="original"/>, which is only read, never changed.</summary>
    /// <param name="original">The document.</param>
    /// <param name="originalElement">The same document as the parsed JSON it was made from, when there is one
    /// (see <see cref="TryGetOriginal"/>); it must hold exactly what <paramref name="original"/> holds.</param>
    public PatchBuilder(JsonObject original, JsonElement? originalElement = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        this.original = original;
        this.originalElement = originalElement;
    }

    /// <summary>
    /// A copy of the document with every recorded operation applied, built on each call (for tests and
    /// diagnostics; the builder itself never materialises it).
    /// </summary>
    public JsonObject Document
    {
        get
        {
            var document = original.DeepClone().AsObject();
            foreach (var operation in operations)
            {
                Apply(document, operation);
            }

            return document;
        }
    }

    /// <summary>The operations recorded so far, in order.</summary>
    public ImmutableArray<PatchOperation> Operations => [.. operations];

    /// <summary>
    /// The node at <paramref name="path"/> (unescaped tokens) with every recorded operation applied, or
    /// <c>null</c> when absent. A returned map or array shows what it held before the builder changed
    /// anything beneath it: read its members and items through <see cref="Get"/> and <see cref="Count"/>.
    /// </summary>
    public JsonNode? Get(IReadOnlyList<string> path)
    {
        JsonNode? node = original;
        for (var i = 0; i < path.Count && node is not null; i++)
        {
            TryChild(node, path[i], out node);
        }

        return node;
    }

    /// <summary>
    /// The value at <paramref name="path"/> as the original parsed JSON, when the builder was given it and no
    /// recorded operation changes anything on the way or beneath (no member set along the path, no item
    /// appended to it): then it is exactly what <see cref="Get"/> shows, and reading it creates no nodes
    /// (issue 8: a node per env entry of every container cost a sixth of a large pod's admission).
    /// False otherwise, including when the path does not exist; callers then read through <see cref="Get"/>.
    /// </summary>
    public bool TryGetOriginal(IReadOnlyList<string> path, out JsonElement element)
    {
        element = default;
        if (originalElement is not { } current)
        {
            return false;
        }

        JsonNode? node = original;
        foreach (var token in path)
        {
            if (node is JsonObject map && Member(map, token) is not null)
            {
                return false;
            }

            if (!TryChild(node!, token, out node) || node is null || !TryStep(ref current, token))
            {
                return false;
            }
        }

        if (node is JsonArray array && Appended(array) is not null)
        {
            return false;
        }

        element = current;
        return true;
    }

    private static bool TryStep(ref JsonElement element, string token)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                return element.TryGetProperty(token, out element);
            case JsonValueKind.Array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < element.GetArrayLength():
                element = element[index];
                return true;
            default:
                return false;
        }
    }

    /// <summary>The number of items of the array at <paramref name="path"/> (with appended ones), 0 when there is no array.</summary>
    public int Count(IReadOnlyList<string> path) =>
        Get(path) is JsonArray array ? array.Count + (Appended(array)?.Count ?? 0) : 0;

    /// <summary>The items of the array at <paramref name="path"/> (with appended ones), none when there is no array.</summary>
    public IEnumerable<JsonNode?> Items(IReadOnlyList<string> path)
    {
        if (Get(path) is not JsonArray array)
        {
            yield break;
        }

        foreach (var item in array)
        {
            yield return item;
        }

        if (Appended(array) is { } added)
        {
            foreach (var item in added)
            {
                yield return item;
            }
        }
    }

    /// <summary>The item <paramref name="index"/> of the array at <paramref name="path"/> (with appended ones), or <c>null</c>.</summary>
    public JsonNode? Item(IReadOnlyList<string> path, int index) =>
        Get(path) is JsonArray array ? ItemOf(array, index) : null;

    /// <summary>
    /// Makes sure a map exists at <paramref name="path"/>, first adding an empty map there (and,
    /// recursively, at its missing parents) when absent or <c>null</c>; returns it (read-only, see
    /// <see cref="Get"/>). Throws when a non-map is in the way (a bug: the API server only sends valid objects).
    /// </summary>
    public JsonObject EnsureObject(IReadOnlyList<string> path) => (JsonObject)Ensure(path, path.Count, array: false);

    /// <summary>Like <see cref="EnsureObject"/> for an array.</summary>
    public JsonArray EnsureArray(IReadOnlyList<string> path) => (JsonArray)Ensure(path, path.Count, array: true);

    /// <summary>
    /// Adds <paramref name="key"/> = <paramref name="value"/> to the map at <paramref name="mapPath"/>
    /// (created when missing). Returns false, and records nothing, when the key already exists: what is
    /// there belongs to the user and is never replaced. The builder keeps <paramref name="value"/>: do not
    /// change it afterwards.
    /// </summary>
    public bool AddMember(IReadOnlyList<string> mapPath, string key, JsonNode value)
    {
        var map = EnsureObject(mapPath);
        if (TryChild(map, key, out _))
        {
            return false;
        }

        Record("add", mapPath, mapPath.Count, key, value);
        SetMember(map, key, value);
        return true;
    }

    /// <summary>
    /// Sets <paramref name="key"/> in the map at <paramref name="mapPath"/> to a value egress-tls owns
    /// (its status annotation): <c>add</c> when absent, <c>replace</c> when different, nothing when equal.
    /// </summary>
    public void SetOwnedMember(IReadOnlyList<string> mapPath, string key, JsonNode value)
    {
        var map = EnsureObject(mapPath);
        if (TryChild(map, key, out var existing))
        {
            if (JsonNode.DeepEquals(existing, value))
            {
                return;
            }

            Record("replace", mapPath, mapPath.Count, key, value);
        }
        else
        {
            Record("add", mapPath, mapPath.Count, key, value);
        }

        SetMember(map, key, value);
    }

    /// <summary>
    /// Removes <paramref name="key"/> from the map at <paramref name="mapPath"/> when present, guarded by a
    /// <c>test</c> of its current value. Only for values egress-tls wrote and no longer stands behind (a Flux
    /// Provider's <c>egress-tls.io/original-address</c> once egress-tls stops managing it); never for the user's.
    /// </summary>
    public void RemoveOwnedMember(IReadOnlyList<string> mapPath, string key)
    {
        if (Get(mapPath) is not JsonObject map || !TryChild(map, key, out var existing))
        {
            return;
        }

        Record("test", mapPath, mapPath.Count, key, existing);
        Record("remove", mapPath, mapPath.Count, key, null);
        SetMember(map, key, Removed);
    }

    /// <summary>Appends to the array at <paramref name="arrayPath"/> with <c>/-</c>, creating an empty array
    /// first when missing. The builder keeps <paramref name="value"/>: do not change it afterwards.</summary>
    public void Append(IReadOnlyList<string> arrayPath, JsonNode value)
    {
        var array = EnsureArray(arrayPath);
        Record("add", arrayPath, arrayPath.Count, "-", value);
        if (Appended(array) is not { } added)
        {
            added = [];
            appended.Add((array, added));
        }

        added.Add(value);
    }

    /// <summary>
    /// Replaces the string at <paramref name="path"/>, guarded by a <c>test</c> of the value it was
    /// computed from, so a concurrent change makes the patch fail instead of being overwritten.
    /// </summary>
    public void ReplaceString(IReadOnlyList<string> path, string expected, string value)
    {
        var parentPath = path.Take(path.Count - 1).ToArray();
        if (Get(parentPath) is not JsonObject parent || Get(path) is not JsonValue current || (string?)current != expected)
        {
            throw new InvalidOperationException($"{JsonPointer.Format(path)} does not hold the expected string");
        }

        Record("test", path, path.Count, null, JsonValue.Create(expected));
        var replacement = JsonValue.Create(value);
        Record("replace", path, path.Count, null, replacement);
        SetMember(parent, path[^1], replacement);
    }

    // The child of a map or array with the recorded operations applied; true when it exists (a member may
    // exist with the value null, as in `volumes: null`).
    private bool TryChild(JsonNode node, string token, out JsonNode? child)
    {
        switch (node)
        {
            case JsonObject map:
                if (Member(map, token) is { } recorded)
                {
                    child = ReferenceEquals(recorded, Removed) ? null : recorded;
                    return child is not null;
                }

                return map.TryGetPropertyValue(token, out child);
            case JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index):
                child = ItemOf(array, index);
                return child is not null || index < array.Count;
            default:
                child = null;
                return false;
        }
    }

    private JsonNode? ItemOf(JsonArray array, int index)
    {
        if (index < array.Count)
        {
            return array[index];
        }

        return Appended(array) is { } added && index - array.Count < added.Count ? added[index - array.Count] : null;
    }

    private JsonNode? Member(JsonObject map, string key)
    {
        foreach (var member in members)
        {
            if (ReferenceEquals(member.Map, map) && string.Equals(member.Key, key, StringComparison.Ordinal))
            {
                return member.Value;
            }
        }

        return null;
    }

    private void SetMember(JsonObject map, string key, JsonNode value)
    {
        for (var i = 0; i < members.Count; i++)
        {
            if (ReferenceEquals(members[i].Map, map) && string.Equals(members[i].Key, key, StringComparison.Ordinal))
            {
                members[i] = (map, key, value);
                return;
            }
        }

        members.Add((map, key, value));
    }

    private List<JsonNode>? Appended(JsonArray array)
    {
        foreach (var (candidate, items) in appended)
        {
            if (ReferenceEquals(candidate, array))
            {
                return items;
            }
        }

        return null;
    }

    // Ensures a map or array at the first `length` tokens of `path`.
    private JsonNode Ensure(IReadOnlyList<string> path, int length, bool array)
    {
        if (length == 0)
        {
            return original;
        }

        JsonNode? existing = original;
        for (var i = 0; i < length && existing is not null; i++)
        {
            TryChild(existing, path[i], out existing);
        }

        if (existing is not null)
        {
            if (existing is not JsonArray && existing is not JsonObject || existing is JsonArray != array)
            {
                throw new InvalidOperationException(
                    $"{Pointer(path, length, null)} is a {existing.GetValueKind()}, not a {(array ? "Array" : "Object")}");
            }

            return existing;
        }

        var parent = (JsonObject)Ensure(path, length - 1, array: false);
        var key = path[length - 1];
        var exists = TryChild(parent, key, out _);

        // An explicit null (e.g. `volumes: null`) is replaced rather than added: add on an existing
        // member is a replace in RFC 6902 anyway; recording "replace" states it honestly. The operation
        // and the view get separate empty nodes, so nothing recorded later shows in the operation.
        Record(exists ? "replace" : "add", path, length, null, array ? new JsonArray() : new JsonObject());
        JsonNode created = array ? new JsonArray() : new JsonObject();
        SetMember(parent, key, created);
        return created;
    }

    private void Record(string op, IReadOnlyList<string> path, int length, string? last, JsonNode? value) =>
        operations.Add(new PatchOperation(op, Pointer(path, length, last), value is { Parent: not null } ? value.DeepClone() : value));

    private static string Pointer(IReadOnlyList<string> path, int length, string? last)
    {
        // Built in a stack buffer: one pointer per operation, most under 100 chars; RFC 6901 escaping as in
        // JsonPointer.Escape (~ to ~0, / to ~1).
        Span<char> buffer = stackalloc char[256];
        var written = 0;
        for (var i = 0; i <= length; i++)
        {
            var token = i < length ? path[i] : last;
            if (token is null)
            {
                break;
            }

            if (written + 1 + (2 * token.Length) > buffer.Length)
            {
                return JsonPointer.Format(last is null ? path.Take(length) : path.Take(length).Append(last));
            }

            buffer[written++] = '/';
            foreach (var c in token)
            {
                if (c is '~' or '/')
                {
                    buffer[written++] = '~';
                    buffer[written++] = c == '~' ? '0' : '1';
                }
                else
                {
                    buffer[written++] = c;
                }
            }
        }

        return new string(buffer[..written]);
    }

    // Applies one recorded operation to a copy (Document): the operations are valid by construction.
    private static void Apply(JsonObject document, PatchOperation operation)
    {
        var tokens = operation.Path.Split('/').Skip(1).Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        JsonNode parent = document;
        foreach (var token in tokens[..^1])
        {
            parent = parent is JsonArray a ? a[int.Parse(token, CultureInfo.InvariantCulture)]! : parent[token]!;
        }

        var key = tokens[^1];
        switch (operation.Op, parent)
        {
            case ("test", _):
                break;
            case ("remove", JsonObject map):
                map.Remove(key);
                break;
            case (_, JsonArray array) when key == "-":
                array.Add(operation.Value?.DeepClone());
                break;
            case (_, JsonArray array):
                array[int.Parse(key, CultureInfo.InvariantCulture)] = operation.Value?.DeepClone();
                break;
            case (_, JsonObject map):
                map[key] = operation.Value?.DeepClone();
                break;
        }
    }
}
