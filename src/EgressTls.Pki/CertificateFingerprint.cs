using Org.BouncyCastle.X509;

namespace EgressTls.Pki;

/// <summary>The identity the PKI uses for certificates (what <see cref="CertificateAuthority.Fingerprint"/> and <see cref="RotationEntry.CaFingerprint"/> hold).</summary>
public static class CertificateFingerprint
{
    /// <summary>Lower-case hex SHA-256 of the DER encoding.</summary>
    public static string Of(X509Certificate certificate) => CertificateFacts.Fingerprint(certificate);
}
