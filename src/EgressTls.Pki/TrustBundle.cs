using System.Collections.Immutable;

namespace EgressTls.Pki;

/// <summary>
/// The contents of the per-namespace trust ConfigMap.
/// </summary>
/// <param name="CaCrt">Our trust anchors only (for <c>NODE_EXTRA_CA_CERTS</c>), PEM, in rotation order.</param>
/// <param name="CaBundleCrt">Public roots then our trust anchors, PEM, deduplicated (to replace a system bundle).</param>
/// <param name="TruststoreP12">PKCS#12 trust store with every certificate of <paramref name="CaBundleCrt"/> as a JDK trustedCertEntry; password <see cref="TrustBundleBuilder.TruststorePassword"/>.</param>
/// <param name="Fingerprints">SHA-256 fingerprints of every certificate in the bundle, in bundle order.</param>
/// <param name="UnreadableRoots">Number of CERTIFICATE blocks of the public roots input that could not be decoded (skipped).</param>
public sealed record TrustBundle(
    string CaCrt,
    string CaBundleCrt,
    ImmutableArray<byte> TruststoreP12,
    ImmutableArray<string> Fingerprints,
    int UnreadableRoots);
