using System.Collections.Immutable;

namespace EgressTls.Pki;

/// <summary>
/// Identity of a cached leaf: the normalized, sorted names and the fingerprint of the signing CA.
/// Two requests for the same names in a different order or case share one key.
/// </summary>
public sealed record LeafCacheKey
{
    private LeafCacheKey(ImmutableArray<string> names, string caFingerprint)
    {
        Names = names;
        CaFingerprint = caFingerprint;
        Text = caFingerprint + "|" + string.Join(",", names);
    }

    /// <summary>Sorted normalized names.</summary>
    public ImmutableArray<string> Names { get; }

    /// <summary>SHA-256 fingerprint of the CA.</summary>
    public string CaFingerprint { get; }

    /// <summary>Canonical text form (<c>fingerprint|name,name</c>), which defines equality.</summary>
    public string Text { get; }

    /// <summary>The key for <paramref name="names"/> signed by <paramref name="ca"/>.</summary>
    public static LeafCacheKey For(IEnumerable<string> names, CertificateAuthority ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        return new LeafCacheKey(LeafNames.Sorted(names), ca.Fingerprint);
    }

    /// <inheritdoc />
    public bool Equals(LeafCacheKey? other) => other is not null && string.Equals(Text, other.Text, StringComparison.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Text);
}
