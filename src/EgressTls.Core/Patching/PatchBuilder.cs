using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;

namespace EgressTls.Core.Patching;

/// <summary>
/// Builds an RFC 6902 patch against a working copy of the document, so every operation is checked
/// against what exists at that point: a missing map or array is created (as an empty one) before its
/// children, <c>/-</c> appends only to an array that exists (appending to a missing array fails with
/// "doc is missing path": amazon-eks-pod-identity-webhook #17, kuma #4525), and a map is never added
/// over an existing one (that would wipe the user's keys: OPA library #25). Operations are recorded in
/// the order the caller makes them, so a fixed call order gives a fixed patch.
/// </summary>
/// <remarks>A short-lived, single-threaded builder; the result (<see cref="Operations"/>,
/// <see cref="Document"/>) is what callers keep.</remarks>
public sealed class PatchBuilder
{
    private readonly JsonObject document;
    private readonly List<PatchOperation> operations = [];

    /// <summary>Starts from a deep copy of <paramref name="original"/>; the original is never changed.</summary>
    public PatchBuilder(JsonObject original)
    {
        ArgumentNullException.ThrowIfNull(original);
        document = original.DeepClone().AsObject();
    }

    /// <summary>The document with every recorded operation applied (treat as read-only).</summary>
    public JsonObject Document => document;

    /// <summary>The operations recorded so far, in order.</summary>
    public ImmutableArray<PatchOperation> Operations => [.. operations];

    /// <summary>The node at <paramref name="path"/> (unescaped tokens), or <c>null</c> when absent.</summary>
    public JsonNode? Get(IReadOnlyList<string> path)
    {
        JsonNode? node = document;
        foreach (var token in path)
        {
            node = node switch
            {
                JsonObject obj => obj.TryGetPropertyValue(token, out var child) ? child : null,
                JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < array.Count => array[i],
                _ => null,
            };
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>
    /// Returns the map at <paramref name="path"/>, first adding an empty map there (and, recursively,
    /// at its missing parents) when absent or <c>null</c>. Throws when a non-map is in the way (a bug:
    /// the API server only sends valid objects).
    /// </summary>
    public JsonObject EnsureObject(IReadOnlyList<string> path) => (JsonObject)Ensure(path, static () => new JsonObject());

    /// <summary>Like <see cref="EnsureObject"/> for an array.</summary>
    public JsonArray EnsureArray(IReadOnlyList<string> path) => (JsonArray)Ensure(path, static () => new JsonArray());

    /// <summary>
    /// Adds <paramref name="key"/> = <paramref name="value"/> to the map at <paramref name="mapPath"/>
    /// (created when missing). Returns false, and records nothing, when the key already exists: what is
    /// there belongs to the user and is never replaced.
    /// </summary>
    public bool AddMember(IReadOnlyList<string> mapPath, string key, JsonNode value)
    {
        var map = EnsureObject(mapPath);
        if (map.ContainsKey(key))
        {
            return false;
        }

        Record("add", [.. mapPath, key], value);
        map[key] = value.DeepClone();
        return true;
    }

    /// <summary>
    /// Sets <paramref name="key"/> in the map at <paramref name="mapPath"/> to a value egress-tls owns
    /// (its status annotation): <c>add</c> when absent, <c>replace</c> when different, nothing when equal.
    /// </summary>
    public void SetOwnedMember(IReadOnlyList<string> mapPath, string key, JsonNode value)
    {
        var map = EnsureObject(mapPath);
        if (map.TryGetPropertyValue(key, out var existing))
        {
            if (JsonNode.DeepEquals(existing, value))
            {
                return;
            }

            Record("replace", [.. mapPath, key], value);
        }
        else
        {
            Record("add", [.. mapPath, key], value);
        }

        map[key] = value.DeepClone();
    }

    /// <summary>
    /// Removes <paramref name="key"/> from the map at <paramref name="mapPath"/> when present, guarded by a
    /// <c>test</c> of its current value. Only for values egress-tls wrote and no longer stands behind (a Flux
    /// Provider's <c>egress-tls.io/original-address</c> once egress-tls stops managing it); never for the user's.
    /// </summary>
    public void RemoveOwnedMember(IReadOnlyList<string> mapPath, string key)
    {
        if (Get(mapPath) is not JsonObject map || !map.TryGetPropertyValue(key, out var existing))
        {
            return;
        }

        Record("test", [.. mapPath, key], existing);
        Record("remove", [.. mapPath, key], null);
        map.Remove(key);
    }

    /// <summary>Appends to the array at <paramref name="arrayPath"/> with <c>/-</c>, creating an empty array first when missing.</summary>
    public void Append(IReadOnlyList<string> arrayPath, JsonNode value)
    {
        var array = EnsureArray(arrayPath);
        Record("add", [.. arrayPath, "-"], value);
        array.Add(value.DeepClone());
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

        Record("test", path, JsonValue.Create(expected));
        Record("replace", path, JsonValue.Create(value));
        parent[path[^1]] = value;
    }

    private JsonNode Ensure(IReadOnlyList<string> path, Func<JsonNode> create)
    {
        if (path.Count == 0)
        {
            return document;
        }

        var existing = Get(path);
        if (existing is not null)
        {
            var wanted = create();
            if (existing.GetValueKind() != wanted.GetValueKind())
            {
                throw new InvalidOperationException($"{JsonPointer.Format(path)} is a {existing.GetValueKind()}, not a {wanted.GetValueKind()}");
            }

            return existing;
        }

        var parentPath = path.Take(path.Count - 1).ToArray();
        var parent = EnsureObject(parentPath);
        var created = create();
        // An explicit null (e.g. `volumes: null`) is replaced rather than added: add on an existing
        // member is a replace in RFC 6902 anyway; recording "replace" states it honestly.
        Record(parent.ContainsKey(path[^1]) ? "replace" : "add", path, created);
        parent[path[^1]] = created;
        return created;
    }

    private void Record(string op, IEnumerable<string> path, JsonNode? value) =>
        operations.Add(new PatchOperation(op, JsonPointer.Format(path), value?.DeepClone()));
}
