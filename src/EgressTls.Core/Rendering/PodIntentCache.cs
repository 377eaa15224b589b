using System.Collections.Immutable;
using EgressTls.Core.Annotations;

namespace EgressTls.Core.Rendering;

/// <summary>
/// A bounded, least-recently-used, thread-safe memo of what pods' egress-tls annotations decide
/// (<see cref="PodIntent"/>): the annotations parsed, the profile built and its status value. The pods of
/// one workload carry the same annotations even when they differ in what else Render reads (an env value
/// after a configuration change, a container added by another webhook), so a pod never seen before still
/// finds its workload's parse (parsing and hashing the intent was a fifth of such a pod's render).
/// </summary>
/// <remarks>
/// An entry is found by the very same <see cref="RenderOptions"/> instance (options are replaced, not
/// changed, when the configuration is reloaded), a namespace with the same name, labels and annotations,
/// and the same <c>egress-tls.io/</c> annotations of the pod (names and values, compared ordinally):
/// everything <see cref="EffectiveAnnotations.Resolve"/> and the parse read. Other annotations never change
/// the result (Resolve skips them), so they are not part of the key.
/// </remarks>
public sealed class PodIntentCache
{
    /// <summary>Intents kept at most by default.</summary>
    public const int DefaultCapacity = 256;

    private readonly BoundedLru<Key, PodIntent> entries;

    /// <summary>A cache of at most <paramref name="capacity"/> intents (0 turns it off).</summary>
    public PodIntentCache(int capacity = DefaultCapacity) => entries = new BoundedLru<Key, PodIntent>(capacity);

    /// <summary>Intents held now.</summary>
    public int Count => entries.Count;

    /// <summary>
    /// The intent of a pod whose <c>egress-tls.io/</c> annotations (string values) are
    /// <paramref name="annotations"/> (sorted by name), in <paramref name="ns"/> under <paramref name="options"/>:
    /// the remembered one, else a new one (remembered, evicting the least recently used beyond the capacity).
    /// </summary>
    internal PodIntent Get(ImmutableArray<KeyValuePair<string, string>> annotations, NamespaceInfo ns, RenderOptions options) =>
        entries.GetOrAdd(new Key(options, ns, annotations), static key => key.Make());

    /// <summary>The intent made afresh (what <see cref="Get"/> remembers).</summary>
    internal static PodIntent Make(IEnumerable<KeyValuePair<string, string>> annotations, NamespaceInfo ns, RenderOptions options)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in annotations)
        {
            map[name] = value; // a name repeated in hand-written JSON keeps its last value
        }

        var effective = EffectiveAnnotations.Resolve(map, ns, options);
        var request = AnnotationParser.Parse(effective, ns.Name, ImmutableDictionary<string, SecretSummary>.Empty, secretsComplete: false);
        return new PodIntent(effective, request, ns.Name, options);
    }

    private sealed class Key : IEquatable<Key>
    {
        private readonly RenderOptions options;
        private readonly NamespaceInfo ns;
        private readonly ImmutableArray<KeyValuePair<string, string>> annotations;
        private readonly int hash;

        public Key(RenderOptions options, NamespaceInfo ns, ImmutableArray<KeyValuePair<string, string>> annotations)
        {
            this.options = options;
            this.ns = ns;
            this.annotations = annotations;
            var hasher = new HashCode();
            hasher.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(options));
            hasher.Add(ns.Name, StringComparer.Ordinal);
            foreach (var (name, value) in annotations)
            {
                hasher.Add(name, StringComparer.Ordinal);
                hasher.Add(value, StringComparer.Ordinal);
            }

            hash = hasher.ToHashCode();
        }

        public bool Equals(Key? other)
        {
            if (other is null || hash != other.hash || !ReferenceEquals(options, other.options) || annotations.Length != other.annotations.Length
                || !ns.HasSameContent(other.ns))
            {
                return false;
            }

            for (var i = 0; i < annotations.Length; i++)
            {
                if (!string.Equals(annotations[i].Key, other.annotations[i].Key, StringComparison.Ordinal)
                    || !string.Equals(annotations[i].Value, other.annotations[i].Value, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => Equals(obj as Key);

        public override int GetHashCode() => hash;

        public PodIntent Make() => PodIntentCache.Make(annotations, ns, options);
    }
}
