using System.Collections.Immutable;

namespace EgressTls.Pki;

/// <summary>
/// What a leaf certificate is for.
/// </summary>
/// <param name="Names">
/// DNS names (exact or <c>*.</c> wildcard) and IP addresses (IPv4 or IPv6 literal) in the order
/// given; the first becomes the subject CN. Duplicates and case differences are ignored.
/// </param>
/// <param name="Algorithm">Key algorithm of the leaf key (default ECDSA P-256).</param>
/// <param name="Duration">Validity from issuance; default <see cref="RenewalPolicy.DefaultDuration"/> (8760h).</param>
public sealed record LeafRequest(ImmutableArray<string> Names, KeyAlgorithm Algorithm = KeyAlgorithm.EcdsaP256, TimeSpan? Duration = null)
{
    /// <summary><see cref="Duration"/> or the default 8760h.</summary>
    public TimeSpan EffectiveDuration => Duration ?? RenewalPolicy.DefaultDuration;
}
