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
/// The document is read as parsed JSON and is neither copied nor changed: what the operations add,
/// replace or remove is kept beside it, keyed by the path of the map or array it changes, and every
/// check reads through both. No node is made for the document (building the pod's node tree,
/// and a node per container, mount and env entry, cost more than the rest of a render).
/// </remarks>
public sealed class PatchBuilder
{
    // Marks a member removed by an operation (a value no document holds).
    private static readonly JsonObject Removed = [];

    private readonly JsonElement original;
    private readonly List<PatchOperation> operations = [];

    // Found by their container's path with a linear search: a render changes a few dozen of them.
    private readonly List<(string[] Map, string Key, JsonNode Value)> members = [];
    private readonly List<(string[] Array, List<JsonNode> Items)> appended = [];

    // The array the last Append ensured and its items, while no member set since can have replaced it
    // (Append is called in runs on one array: the variables of one container).
    private (string[] Array, List<JsonNode> Items)? lastAppend;
    private string? lastAppendPointer;

    /// <summary>Starts from <paramref name="original"/>, a JSON object, which is only read.</summary>
    /// <param name="original">The document as parsed JSON; it must stay valid while the builder is used
    /// (the recorded operations never refer to it).</param>
    public PatchBuilder(JsonElement original)
    {
        if (original.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"the document is {original.ValueKind}; expected an object", nameof(original));
        }

        this.original = original;
    }

    /// <summary>Starts from <paramref name="original"/>, read as its JSON (the node itself is never changed).</summary>
    public PatchBuilder(JsonObject original)
        : this(JsonSerializer.SerializeToElement(original ?? throw new ArgumentNullException(nameof(original))))
    {
    }

    /// <summary>
    /// A copy of the document with every recorded operation applied, built on each call (for tests and
    /// diagnostics; the builder itself never materialises it).
    /// </summary>
    public JsonObject Document
    {
        get
        {
            var document = JsonNode.Parse(original.GetRawText())!.AsObject();
            foreach (var operation in operations)
            {
                Apply(document, operation);
            }

            return document;
        }
    }

    /// <summary>The operations recorded so far, in order.</summary>
    public ImmutableArray<PatchOperation> Operations => [.. operations];

    /// <summary>How many operations are recorded.</summary>
    public int OperationCount => operations.Count;

    /// <summary>Makes room for <paramref name="count"/> operations in all, so a caller that knows about how many it
    /// records (the trust injection: a mount and seven variables per container) does not grow the list by doubling.</summary>
    public void EnsureCapacity(int count) => operations.EnsureCapacity(count);

    /// <summary>The document as given (every recorded operation left out).</summary>
    public JsonElement Original => original;

    /// <summary>
    /// Adds <paramref name="key"/> = <paramref name="value"/> to the map at <paramref name="mapPath"/>
    /// (created when missing). Returns false, and records nothing, when the key already exists: what is
    /// there belongs to the user and is never replaced. The builder keeps <paramref name="value"/>: do not
    /// change it afterwards.
    /// </summary>
    public bool AddMember(IReadOnlyList<string> mapPath, string key, JsonNode value)
    {
        Ensure(mapPath, mapPath.Count, array: false);
        if (TryChild(Resolve(mapPath, mapPath.Count), mapPath, mapPath.Count, key, out _))
        {
            return false;
        }

        Record("add", mapPath, mapPath.Count, key, value);
        SetMember(mapPath, mapPath.Count, key, value);
        return true;
    }

    /// <summary>
    /// Sets <paramref name="key"/> in the map at <paramref name="mapPath"/> to a value egress-tls owns
    /// (its status annotation): <c>add</c> when absent, <c>replace</c> when different, nothing when equal.
    /// </summary>
    public void SetOwnedMember(IReadOnlyList<string> mapPath, string key, JsonNode value)
    {
        Ensure(mapPath, mapPath.Count, array: false);
        if (TryChild(Resolve(mapPath, mapPath.Count), mapPath, mapPath.Count, key, out var existing))
        {
            if (JsonNode.DeepEquals(existing.AsNode(), value))
            {
                return;
            }

            Record("replace", mapPath, mapPath.Count, key, value);
        }
        else
        {
            Record("add", mapPath, mapPath.Count, key, value);
        }

        SetMember(mapPath, mapPath.Count, key, value);
    }

    /// <summary>
    /// Removes <paramref name="key"/> from the map at <paramref name="mapPath"/> when present, guarded by a
    /// <c>test</c> of its current value. Only for values egress-tls wrote and no longer stands behind (a Flux
    /// Provider's <c>egress-tls.io/original-address</c> once egress-tls stops managing it); never for the user's.
    /// </summary>
    public void RemoveOwnedMember(IReadOnlyList<string> mapPath, string key)
    {
        var map = Resolve(mapPath, mapPath.Count);
        if (map.Kind != JsonValueKind.Object || !TryChild(map, mapPath, mapPath.Count, key, out var existing))
        {
            return;
        }

        Record("test", mapPath, mapPath.Count, key, existing.Detached());
        Record("remove", mapPath, mapPath.Count, key, null);
        SetMember(mapPath, mapPath.Count, key, Removed);
    }

    /// <summary>Appends to the array at <paramref name="arrayPath"/> with <c>/-</c>, creating an empty array
    /// first when missing. The builder keeps <paramref name="value"/>, and <paramref name="arrayPath"/> when it is
    /// a <c>string[]</c>: do not change either afterwards.</summary>
    public void Append(IReadOnlyList<string> arrayPath, JsonNode value) => Append(arrayPath, value, default);

    /// <summary>Like <see cref="Append(IReadOnlyList{string}, JsonNode)"/> for a value shared by many operations,
    /// recorded with its JSON (<see cref="PatchOperation.EncodedValue"/>).</summary>
    public void Append(IReadOnlyList<string> arrayPath, SharedValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Append(arrayPath, value.Node, value.Json);
    }

    private void Append(IReadOnlyList<string> arrayPath, JsonNode value, ReadOnlyMemory<byte> encoded)
    {
        if (lastAppend is not { } last || !StartsWith(arrayPath, arrayPath.Count, last.Array))
        {
            Ensure(arrayPath, arrayPath.Count, array: true);
            var found = FindAppended(arrayPath, arrayPath.Count);
            last = found ?? (arrayPath as string[] ?? [.. arrayPath], []);
            if (found is null)
            {
                appended.Add(last);
            }

            lastAppend = last;
            lastAppendPointer = Pointer(arrayPath, arrayPath.Count, "-");
        }

        Record("add", lastAppendPointer!, value, encoded);
        last.Items.Add(value);
    }

    /// <summary>
    /// Replaces the string at <paramref name="path"/>, guarded by a <c>test</c> of the value it was
    /// computed from, so a concurrent change makes the patch fail instead of being overwritten.
    /// </summary>
    public void ReplaceString(IReadOnlyList<string> path, string expected, string value)
    {
        var parent = Resolve(path, path.Count - 1);
        var current = Resolve(path, path.Count);
        if (parent.Kind != JsonValueKind.Object || current.Kind != JsonValueKind.String || current.String() != expected)
        {
            throw new InvalidOperationException($"{JsonPointer.Format(path)} does not hold the expected string");
        }

        Record("test", path, path.Count, null, JsonValue.Create(expected));
        var replacement = JsonValue.Create(value);
        Record("replace", path, path.Count, null, replacement);
        SetMember(path, path.Count - 1, path[^1], replacement);
    }

    // A value of the document with the recorded operations applied: a part of the original JSON, a node an
    // operation put there, JSON null, or nothing (a missing path).
    private readonly struct View
    {
        private readonly JsonElement element;
        private readonly JsonNode? node;
        private readonly byte source; // 0 missing, 1 element, 2 node (null: JSON null)

        private View(JsonElement element, JsonNode? node, byte source)
        {
            this.element = element;
            this.node = node;
            this.source = source;
        }

        public static View Missing => default;

        public bool Exists => source != 0;

        public bool IsElement => source == 1;

        public JsonElement Element => element;

        public JsonNode? Node => node;

        public JsonValueKind Kind => source switch
        {
            1 => element.ValueKind,
            2 => node?.GetValueKind() ?? JsonValueKind.Null,
            _ => JsonValueKind.Undefined,
        };

        public static View Of(JsonElement element) => new(element, null, 1);

        public static View Of(JsonNode? node) => new(default, node, 2);

        public string? String() => IsElement ? element.GetString() : (string?)node;

        public int Length => Kind == JsonValueKind.Array ? (IsElement ? element.GetArrayLength() : ((JsonArray)node!).Count) : 0;

        // For comparing only: a node over the element is valid while the document is.
        public JsonNode? AsNode() => IsElement ? FromElement(element) : node;

        // For keeping in an operation: independent of the document.
        public JsonNode? Detached() => IsElement ? FromElement(element.Clone()) : node?.DeepClone();

        private static JsonNode? FromElement(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.Object => JsonObject.Create(element),
            JsonValueKind.Array => JsonArray.Create(element),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => JsonValue.Create(element),
        };
    }

    // The value at the first `length` tokens of `path`.
    private View Resolve(IReadOnlyList<string> path, int length)
    {
        var view = View.Of(original);
        for (var i = 0; i < length; i++)
        {
            if (!TryChild(view, path, i, path[i], out view))
            {
                return View.Missing;
            }
        }

        return view;
    }

    // The child `token` of `parent` (the value at the first `depth` tokens of `path`) with the recorded
    // operations applied; true when it exists (a member may exist with the value null, as in `volumes: null`).
    private bool TryChild(View parent, IReadOnlyList<string> path, int depth, string token, out View child)
    {
        child = View.Missing;
        switch (parent.Kind)
        {
            case JsonValueKind.Object:
                if (Member(path, depth, token) is { } recorded)
                {
                    child = ReferenceEquals(recorded, Removed) ? View.Missing : View.Of(recorded);
                    return child.Exists;
                }

                if (parent.IsElement)
                {
                    if (parent.Element.TryGetProperty(token, out var member))
                    {
                        child = View.Of(member);
                        return true;
                    }

                    return false;
                }

                if (((JsonObject)parent.Node!).TryGetPropertyValue(token, out var value))
                {
                    child = View.Of(value);
                    return true;
                }

                return false;
            case JsonValueKind.Array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index):
                var length = parent.Length;
                if (index < length)
                {
                    child = parent.IsElement ? View.Of(parent.Element[index]) : View.Of(((JsonArray)parent.Node!)[index]);
                    return true;
                }

                if (Appended(path, depth) is { } added && index - length < added.Count)
                {
                    child = View.Of(added[index - length]);
                    return true;
                }

                return false;
            default:
                return false;
        }
    }

    // Whether the first `length` tokens of `path` are `prefix`.
    private static bool StartsWith(IReadOnlyList<string> path, int length, string[] prefix)
    {
        if (length != prefix.Length)
        {
            return false;
        }

        for (var i = length - 1; i >= 0; i--)
        {
            if (!string.Equals(path[i], prefix[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    // Whether a change at `container` (member `key`, or the array itself when null) lies on `path` or beneath it.
    private static bool Overlaps(string[] container, string? key, IReadOnlyList<string> path)
    {
        var changed = container.Length + (key is null ? 0 : 1);
        var common = Math.Min(changed, path.Count);
        for (var i = 0; i < common; i++)
        {
            var token = i < container.Length ? container[i] : key;
            if (!string.Equals(token, path[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private JsonNode? Member(IReadOnlyList<string> path, int depth, string key)
    {
        foreach (var member in members)
        {
            if (string.Equals(member.Key, key, StringComparison.Ordinal) && StartsWith(path, depth, member.Map))
            {
                return member.Value;
            }
        }

        return null;
    }

    private void SetMember(IReadOnlyList<string> path, int depth, string key, JsonNode value)
    {
        // What was recorded beneath the member belonged to the value it replaces (none of egress-tls's
        // callers replace a value they changed beneath, but the view stays exact if one does).
        var map = path.Take(depth).ToArray();
        members.RemoveAll(m => m.Map.Length > depth && Overlaps(map, key, m.Map));
        appended.RemoveAll(a => a.Array.Length > depth && Overlaps(map, key, a.Array));
        lastAppend = null;
        lastAppendPointer = null;
        for (var i = 0; i < members.Count; i++)
        {
            if (string.Equals(members[i].Key, key, StringComparison.Ordinal) && StartsWith(path, depth, members[i].Map))
            {
                members[i] = (members[i].Map, key, value);
                return;
            }
        }

        members.Add((map, key, value));
    }

    private List<JsonNode>? Appended(IReadOnlyList<string> path, int length) => FindAppended(path, length)?.Items;

    private (string[] Array, List<JsonNode> Items)? FindAppended(IReadOnlyList<string> path, int length)
    {
        foreach (var entry in appended)
        {
            if (StartsWith(path, length, entry.Array))
            {
                return entry;
            }
        }

        return null;
    }

    // Ensures a map or array at the first `length` tokens of `path`.
    private void Ensure(IReadOnlyList<string> path, int length, bool array)
    {
        if (length == 0)
        {
            return;
        }

        var existing = Resolve(path, length);
        var kind = existing.Kind;
        if (kind is not (JsonValueKind.Undefined or JsonValueKind.Null))
        {
            if (kind != (array ? JsonValueKind.Array : JsonValueKind.Object))
            {
                throw new InvalidOperationException(
                    $"{Pointer(path, length, null)} is a {kind}, not a {(array ? "Array" : "Object")}");
            }

            return;
        }

        Ensure(path, length - 1, array: false);

        // An explicit null (e.g. `volumes: null`) is replaced rather than added: add on an existing
        // member is a replace in RFC 6902 anyway; recording "replace" states it honestly. The operation
        // and the view get separate empty nodes, so nothing recorded later shows in the operation.
        Record(existing.Exists ? "replace" : "add", path, length, null, array ? new JsonArray() : new JsonObject());
        SetMember(path, length - 1, path[length - 1], array ? new JsonArray() : new JsonObject());
    }

    private void Record(string op, IReadOnlyList<string> path, int length, string? last, JsonNode? value) =>
        Record(op, Pointer(path, length, last), value);

    // A value already in a tree is copied; others are kept as given (they may be shared: see PatchOperation).
    private void Record(string op, string pointer, JsonNode? value, ReadOnlyMemory<byte> encoded = default) =>
        operations.Add(new PatchOperation(op, pointer, value is { Parent: not null } ? value.DeepClone() : value) { EncodedValue = encoded });

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
