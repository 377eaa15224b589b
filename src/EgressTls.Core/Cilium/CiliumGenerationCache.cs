using System.Runtime.CompilerServices;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Cilium;

/// <summary>
/// A bounded, least-recently-used, thread-safe memo of <see cref="CiliumObjects.Generate"/>. The objects
/// of a profile are a pure function of the profile (its namespace and its canonical content, which its id
/// is a hash of) and the render options, and every pod of a profile needs the same ones: pods that differ
/// only in fields egress-tls does not read (a label, an image tag) share them instead of rebuilding them.
/// </summary>
/// <remarks>
/// An entry is found by the very same <see cref="RenderOptions"/> instance (options are replaced, not
/// changed, when the configuration is reloaded), the namespace, the id and the full canonical content
/// (<see cref="ProfileBuilder.Canonical"/>, not only its hash). Profiles not shaped as
/// <see cref="ProfileBuilder.Build"/> makes them (a Flux Provider's, owned by its Provider, or another pod
/// selector) are generated every time. The returned generation is shared: its manifests must be treated
/// as read-only (the applier copies a manifest before filling it in).
/// </remarks>
public sealed class CiliumGenerationCache
{
    /// <summary>Profiles kept at most by default.</summary>
    public const int DefaultCapacity = 256;

    private readonly BoundedLru<Key, CiliumGeneration> entries;

    /// <summary>A cache of at most <paramref name="capacity"/> profiles (0 turns it off).</summary>
    public CiliumGenerationCache(int capacity = DefaultCapacity) => entries = new BoundedLru<Key, CiliumGeneration>(capacity);

    /// <summary>Profiles held now.</summary>
    public int Count => entries.Count;

    /// <summary>
    /// What <see cref="CiliumObjects.Generate"/> returns for <paramref name="profile"/> and
    /// <paramref name="options"/>: the remembered generation when this profile was generated with these
    /// options before, else a new one (remembered, evicting the least recently used beyond the capacity).
    /// </summary>
    public CiliumGeneration Generate(EgressProfile profile, RenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(options);
        if (!Cacheable(profile))
        {
            return CiliumObjects.Generate(profile, options);
        }

        var key = new Key(options, profile.Namespace, profile.Id, ProfileBuilder.CanonicalUsing(profile, profile.Intercept, profile.Mtls, profile.OtherEgress));
        return entries.GetOrAdd(key, profile, static (key, profile) => CiliumObjects.Generate(profile, key.Options));
    }

    // The shape ProfileBuilder.Build gives: no owner, selected by the profile label = id.
    private static bool Cacheable(EgressProfile profile) =>
        profile.Owner is null
        && profile.PodSelector.Count == 1
        && profile.PodSelector.TryGetValue(Naming.ProfileLabel, out var id)
        && id == profile.Id;

    private readonly record struct Key(RenderOptions Options, string Namespace, string Id, string Canonical)
    {
        public bool Equals(Key other) =>
            ReferenceEquals(Options, other.Options)
            && string.Equals(Namespace, other.Namespace, StringComparison.Ordinal)
            && string.Equals(Id, other.Id, StringComparison.Ordinal)
            && string.Equals(Canonical, other.Canonical, StringComparison.Ordinal);

        public override int GetHashCode() => HashCode.Combine(RuntimeHelpers.GetHashCode(Options), Namespace, Id, Canonical);
    }
}
