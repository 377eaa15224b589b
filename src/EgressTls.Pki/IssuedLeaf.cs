using System.Collections.Immutable;

namespace EgressTls.Pki;

/// <summary>
/// A leaf certificate ready for a kubernetes.io/tls Secret used by Cilium <c>terminatingTLS</c>.
/// There is deliberately no <c>ca.crt</c>: with it Cilium 1.15 makes Envoy demand client certificates
/// from pods (Cilium #31761).
/// </summary>
/// <param name="TlsCrt">The leaf followed by the intermediates between it and the root; never the root.</param>
/// <param name="TlsKey">The leaf key, unencrypted PKCS#8.</param>
/// <param name="Names">The normalized names the certificate covers, sorted ordinally (the cache key form).</param>
/// <param name="NotBefore">Start of validity (issuance time minus the clock-skew backdate).</param>
/// <param name="NotAfter">End of validity.</param>
/// <param name="SerialNumber">The serial as lowercase hex.</param>
/// <param name="CaFingerprint">SHA-256 fingerprint of the CA certificate that signed it.</param>
public sealed record IssuedLeaf(
    string TlsCrt,
    string TlsKey,
    ImmutableArray<string> Names,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string SerialNumber,
    string CaFingerprint)
{
    /// <summary>The Secret data keys and values (<c>tls.crt</c>, <c>tls.key</c>), sorted, without <c>ca.crt</c> (Cilium #31761).</summary>
    public ImmutableSortedDictionary<string, string> SecretData =>
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            [new KeyValuePair<string, string>("tls.crt", TlsCrt), new KeyValuePair<string, string>("tls.key", TlsKey)]);
}
