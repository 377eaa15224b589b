using Org.BouncyCastle.X509;

namespace EgressTls.Pki;

/// <summary>One CA as seen by the rotation model.</summary>
/// <param name="CaFingerprint">SHA-256 fingerprint of the CA certificate (the signer).</param>
/// <param name="TrustAnchor">The root clients must trust for this CA (the CA itself when it is a root).</param>
/// <param name="PublishedAt">When the CA entered the trust bundles.</param>
/// <param name="LastLeafNotAfter">The latest notAfter among leaves it signed; null while it has signed none.</param>
public sealed record RotationEntry(string CaFingerprint, X509Certificate TrustAnchor, DateTimeOffset PublishedAt, DateTimeOffset? LastLeafNotAfter)
{
    /// <summary>The entry for <paramref name="ca"/>, published at <paramref name="publishedAt"/>, with no leaves yet.</summary>
    public static RotationEntry For(CertificateAuthority ca, DateTimeOffset publishedAt)
    {
        ArgumentNullException.ThrowIfNull(ca);
        return new RotationEntry(ca.Fingerprint, ca.TrustAnchor, publishedAt, null);
    }
}
