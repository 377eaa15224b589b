using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using EgressTls.Core;
using EgressTls.Core.Cilium;
using EgressTls.Core.Rendering;

namespace EgressTls.Webhook.Admission;

/// <summary>
/// A bounded, least-recently-used memo of render decisions. The pods of one ReplicaSet reach the webhook
/// with byte-identical <c>request.object</c> (the API server fills <c>metadata.name</c> from
/// <c>generateName</c> only after admission), so a rollout of N replicas renders once. Render is a pure
/// function of (object, operation, old object, namespace, Secret summaries, secrets completeness, render
/// options): an entry (kept from a key's second sighting, see <see cref="Add"/>) is found by the object and old
/// object bytes, compared in full (<see cref="Key"/>), with the operation, kind and namespace (for a pod being created, without the values Render never reads that change from one
/// pod of a controller to the next: <see cref="IgnoredPodFields"/>), and used only when every other input is equal to the one it was computed from (the
/// namespace's labels and annotations, the Secret summaries, the very same <see cref="RenderOptions"/>
/// instance). Per-request work (reading the namespace and Secrets, applying the generated objects, the
/// response uid, the log line, metrics) still happens for every request. Certificate material is not a
/// Render input: the applier fingerprints it on every request.
/// </summary>
internal sealed class AdmissionMemo
{
    /// <summary>Entries kept at most.</summary>
    public const int DefaultCapacity = 512;

    /// <summary>Sum of entry weights (object and patch bytes) kept at most, so large pods cannot hold much memory.</summary>
    public const long DefaultMaxWeight = 4L << 20;

    /// <summary>First sightings remembered at most (a hash and four shared strings each).</summary>
    public const int SeenCapacity = 8192;

    private readonly Dictionary<Key, LinkedListNode<Entry>> entries = [];
    private readonly HashSet<Sighting> seen = [];
    private readonly LinkedList<Entry> recency = []; // most recently used first
    private readonly Lock gate = new();
    private readonly int capacity;
    private readonly long maxWeight;
    private long weight;

    /// <param name="capacity">Entries kept at most (0 turns the memo off).</param>
    /// <param name="maxWeight">Total weight kept at most.</param>
    public AdmissionMemo(int capacity = DefaultCapacity, long maxWeight = DefaultMaxWeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        this.capacity = capacity;
        this.maxWeight = maxWeight;
    }

    /// <summary>
    /// The Cilium objects of the profiles rendered lately: a pod seen for the first time (a bare pod, the
    /// first pod of a new template) usually belongs to a profile whose objects were already built.
    /// </summary>
    public CiliumGenerationCache Generations { get; } = new();

    /// <summary>
    /// What the annotations of the pods rendered lately decide: a pod seen for the first time usually has the
    /// annotations of its workload's earlier pods.
    /// </summary>
    public PodIntentCache Intents { get; } = new();

    /// <summary>Entries held now.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>
    /// The lookup key of <paramref name="request"/>: its identifying fields and its object and old object
    /// bytes; for a pod being created (a v1 Pod by request.kind and by the object's own apiVersion and kind), its
    /// object bytes without the values in <see cref="IgnoredPodFields"/>.
    /// The key refers to the request's bytes: it is valid while the request is (<see cref="Add"/> keeps a copy).
    /// </summary>
    public static Key KeyOf(AdmissionRequestData request)
    {
        ArgumentNullException.ThrowIfNull(request);
        // The fields are left out only when the object itself is a v1 Pod: Render goes by the object's own
        // apiVersion and kind, and reads metadata.name of a Flux Provider (the reader refuses a review whose
        // request.kind disagrees with its object; this holds for any request).
        var parts = request.Group.Length == 0 && request.Kind == "Pod" && request.Operation == "CREATE" && request.OldObjectJson.IsEmpty
            && request.ObjectElement is { } pod && IsV1Pod(pod)
            ? Without(request.ObjectJson, IgnoredPodValues(pod))
            : [request.ObjectJson];
        return new Key(request.Group, request.Kind, request.Operation, request.Namespace, parts, request.OldObjectJson);
    }

    private static bool IsV1Pod(JsonElement obj) =>
        obj.TryGetProperty("apiVersion"u8, out var apiVersion) && apiVersion.ValueKind == JsonValueKind.String && apiVersion.ValueEquals("v1"u8)
        && obj.TryGetProperty("kind"u8, out var kind) && kind.ValueKind == JsonValueKind.String && kind.ValueEquals("Pod"u8);

    /// <summary>
    /// Pod fields whose values differ from one pod of a controller to the next and that Render never reads for
    /// a pod (it reads the <c>egress-tls.io/</c> labels and annotations, the shape of metadata, and the
    /// containers' names, env, envFrom and volumeMounts, the volumes and hostNetwork). Their values are left
    /// out of the memo key, so a pod finds the decision of an earlier pod made from the same template:
    /// the first pod of a rollout (new pod-template-hash, owner, generateName and usually image), the pods of
    /// a StatefulSet (each with its own name, hostname and <c>statefulset.kubernetes.io/pod-name</c> and
    /// <c>apps.kubernetes.io/pod-index</c> labels) and of Jobs and CronJobs (a <c>controller-uid</c> and
    /// <c>job-name</c> per Job, a completion index per pod). Each path is a list of member names; <c>*</c>
    /// stands for every item of an array, or every member of a map except those named with the
    /// <c>egress-tls.io/</c> prefix, which Render reads (a label's or annotation's value is left out, its key
    /// is kept). The golden cases are rendered with each of them changed and must give identical results
    /// (GoldenEndToEndTests).
    /// </summary>
    public static readonly IReadOnlyList<string[]> IgnoredPodFields =
    [
        ["metadata", "name"],
        ["metadata", "generateName"],
        ["metadata", "ownerReferences"],
        ["metadata", "labels", "*"],
        ["metadata", "annotations", "*"],
        ["spec", "hostname"],
        ["spec", "subdomain"],
        ["spec", "containers", "*", "image"],
        ["spec", "initContainers", "*", "image"],
    ];

    /// <summary>Whether a member named <paramref name="name"/> is one that <c>*</c> in
    /// <see cref="IgnoredPodFields"/> stands for (every member but the <c>egress-tls.io/</c> ones).</summary>
    public static bool IgnoredMember(string name) => !name.StartsWith(Naming.Prefix, StringComparison.Ordinal);

    // The values of IgnoredPodFields present in the pod.
    private static List<JsonElement> IgnoredPodValues(JsonElement pod)
    {
        var values = new List<JsonElement>();
        foreach (var path in IgnoredPodPathsUtf8)
        {
            Collect(pod, path, 0, values);
        }

        return values;
    }

    // IgnoredPodFields as UTF-8 member names (a string name is transcoded on every lookup); null stands for `*`.
    private static readonly byte[]?[][] IgnoredPodPathsUtf8 =
        [.. IgnoredPodFields.Select(path => path.Select(token => token == "*" ? null : Encoding.UTF8.GetBytes(token)).ToArray())];

    private static void Collect(JsonElement element, byte[]?[] path, int depth, List<JsonElement> values)
    {
        if (depth == path.Length)
        {
            values.Add(element);
        }
        else if (path[depth] is null && element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Collect(item, path, depth + 1, values);
            }
        }
        else if (path[depth] is null && element.ValueKind == JsonValueKind.Object)
        {
            foreach (var member in element.EnumerateObject())
            {
                if (!Naming.IsOwn(member))
                {
                    Collect(member.Value, path, depth + 1, values);
                }
            }
        }
        else if (path[depth] is { } name && element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var child))
        {
            Collect(child, path, depth + 1, values);
        }
    }

    // `json` cut around each of `values` (elements of it): the parts between them, in order. Two pods
    // differing only in those values have equal parts; any other difference shows in a part or in where
    // the parts end.
    private static ReadOnlyMemory<byte>[] Without(ReadOnlyMemory<byte> json, List<JsonElement> values)
    {
        var spans = new List<(int Start, int Length)>(values.Count);
        foreach (var value in values)
        {
            var raw = JsonMarshal.GetRawUtf8Value(value);
            if (!json.Span.Overlaps(raw, out var start) || start < 0 || start + raw.Length > json.Length)
            {
                return [json];
            }

            spans.Add((start, raw.Length));
        }

        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        var parts = new ReadOnlyMemory<byte>[spans.Count + 1];
        var position = 0;
        for (var i = 0; i < spans.Count; i++)
        {
            var (start, length) = spans[i];
            parts[i] = json[position..Math.Max(position, start)];
            position = Math.Max(position, start + length);
        }

        parts[^1] = json[position..];
        return parts;
    }

    /// <summary>The entry for <paramref name="key"/> when it was computed from the same options and namespace, else <c>null</c>.
    /// The caller still compares the Secret summaries (<see cref="Entry.SameSecrets"/>), which it can read only
    /// once it knows the names.</summary>
    public Entry? Find(Key key, RenderOptions options, NamespaceInfo ns, bool secretsComplete)
    {
        Entry entry;
        lock (gate)
        {
            if (!entries.TryGetValue(key, out var node))
            {
                return null;
            }

            recency.Remove(node);
            recency.AddFirst(node);
            entry = node.Value;
        }

        return ReferenceEquals(entry.Options, options) && entry.SecretsComplete == secretsComplete && entry.Namespace.HasSameContent(ns) ? entry : null;
    }

    /// <summary>Whether <see cref="Add"/> would keep a decision for <paramref name="key"/> now: it is held, or was
    /// sighted before (the caller prepares what an entry keeps only then; the answer is the same either way).</summary>
    public bool WouldKeep(Key key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (capacity == 0)
        {
            return false;
        }

        lock (gate)
        {
            return entries.ContainsKey(key) || seen.Contains(key.Sighting);
        }
    }

    /// <summary>
    /// Remembers a decision (replacing any entry of <paramref name="key"/>) from the second time its key is
    /// added on: a pod seen once (a bare pod, one with per-pod values Render reads) is the common case
    /// and its decision would only be carried into older GC generations and evicted unused, so the first
    /// sighting records the key alone. A controller's pods are rendered twice, then found.
    /// </summary>
    /// <returns>Whether the decision is now remembered.</returns>
    public bool Add(Key key, Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (capacity == 0 || entry.Weight > maxWeight)
        {
            return false;
        }

        lock (gate)
        {
            // A first sighting is remembered by its hash alone: a collision only keeps a decision one sighting
            // early, since entries are found by their bytes.
            var sighting = key.Sighting;
            if (!entries.ContainsKey(key) && seen.Add(sighting))
            {
                if (seen.Count > SeenCapacity)
                {
                    seen.Clear();
                    seen.Add(sighting);
                }

                return false;
            }

            seen.Remove(sighting);
            if (entries.Remove(key, out var old))
            {
                recency.Remove(old);
                weight -= old.Value.Weight;
            }

            var kept = key.Copy();
            entries[kept] = recency.AddFirst(entry with { Owner = kept });
            weight += entry.Weight;
            while (entries.Count > capacity || weight > maxWeight)
            {
                var last = recency.Last!;
                recency.RemoveLast();
                entries.Remove(last.Value.Owner!);
                weight -= last.Value.Weight;
            }
        }

        return true;
    }

    /// <summary>
    /// What identifies a request's object: kind, operation, namespace, and its object bytes (as parts, the
    /// values left out between them) and old object bytes, compared in full: two requests share a decision
    /// only when those bytes are equal, never by a hash alone. The hash (<see cref="HashCode"/>, seeded per
    /// process) only spreads keys over the table. A key from <see cref="KeyOf"/> refers to the request's
    /// bytes; <see cref="Copy"/> owns them.
    /// </summary>
    internal sealed class Key : IEquatable<Key>
    {
        private readonly ReadOnlyMemory<byte>[] parts;
        private readonly ReadOnlyMemory<byte> oldObject;
        private readonly int hash;

        public Key(string group, string kind, string operation, string @namespace, ReadOnlyMemory<byte>[] parts, ReadOnlyMemory<byte> oldObject)
        {
            Group = group;
            Kind = kind;
            Operation = operation;
            Namespace = @namespace;
            this.parts = parts;
            this.oldObject = oldObject;
            var hasher = new HashCode();
            hasher.Add(group);
            hasher.Add(kind);
            hasher.Add(operation);
            hasher.Add(@namespace);
            foreach (var part in parts)
            {
                hasher.AddBytes(part.Span);
                hasher.Add(part.Length);
            }

            hasher.AddBytes(oldObject.Span);
            hash = hasher.ToHashCode();
        }

        public string Group { get; }

        public string Kind { get; }

        public string Operation { get; }

        public string Namespace { get; }

        /// <summary>What the memo keeps of a first sighting: the identifying fields and the hash.</summary>
        public Sighting Sighting => new(Group, Kind, Operation, Namespace, hash);

        /// <summary>The same key over its own copy of the bytes (one array).</summary>
        public Key Copy()
        {
            var bytes = new byte[parts.Sum(p => p.Length) + oldObject.Length];
            var copied = new ReadOnlyMemory<byte>[parts.Length];
            var position = 0;
            for (var i = 0; i < parts.Length; i++)
            {
                parts[i].Span.CopyTo(bytes.AsSpan(position));
                copied[i] = bytes.AsMemory(position, parts[i].Length);
                position += parts[i].Length;
            }

            oldObject.Span.CopyTo(bytes.AsSpan(position));
            return new Key(Group, Kind, Operation, Namespace, copied, bytes.AsMemory(position, oldObject.Length));
        }

        public bool Equals(Key? other)
        {
            if (other is null || hash != other.hash || parts.Length != other.parts.Length
                || Group != other.Group || Kind != other.Kind || Operation != other.Operation || Namespace != other.Namespace
                || !oldObject.Span.SequenceEqual(other.oldObject.Span))
            {
                return false;
            }

            for (var i = 0; i < parts.Length; i++)
            {
                if (!parts[i].Span.SequenceEqual(other.parts[i].Span))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => Equals(obj as Key);

        public override int GetHashCode() => hash;
    }

    /// <summary>A first sighting of a key: its identifying fields and hash.</summary>
    internal readonly record struct Sighting(string Group, string Kind, string Operation, string Namespace, int Hash);

    /// <summary>A remembered decision and the inputs it was computed from.</summary>
    /// <param name="Options">The render options instance used.</param>
    /// <param name="Namespace">The namespace as it was read.</param>
    /// <param name="SecretsComplete">RenderInput.SecretsComplete.</param>
    /// <param name="SecretNames">What <see cref="Renderer.ReferencedSecretNames"/> returned.</param>
    /// <param name="Secrets">The Secret summaries Render saw.</param>
    /// <param name="Result">Render's result.</param>
    /// <param name="Outcome">The answer for that result when nothing else fails (its patch already encoded).</param>
    /// <param name="Weight">Bytes the entry stands for (object and encoded patch), for the memo's bound.</param>
    internal sealed record Entry(
        RenderOptions Options,
        NamespaceInfo Namespace,
        bool SecretsComplete,
        ImmutableSortedSet<string> SecretNames,
        ImmutableDictionary<string, SecretSummary> Secrets,
        RenderResult Result,
        AdmissionOutcome Outcome,
        long Weight)
    {
        /// <summary>The key the entry is stored under.</summary>
        public Key? Owner { get; init; }

        /// <summary>Whether <paramref name="secrets"/> are the summaries this entry was computed from.</summary>
        public bool SameSecrets(ImmutableDictionary<string, SecretSummary> secrets)
        {
            if (ReferenceEquals(Secrets, secrets))
            {
                return true;
            }

            if (Secrets.Count != secrets.Count)
            {
                return false;
            }

            foreach (var (name, summary) in Secrets)
            {
                if (!secrets.TryGetValue(name, out var other) || summary.Name != other.Name || summary.Type != other.Type || !summary.Keys.SetEquals(other.Keys))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
