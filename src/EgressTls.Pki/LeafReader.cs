using Org.BouncyCastle.Asn1.X509;

namespace EgressTls.Pki;

/// <summary>
/// Reads a leaf back from an existing Secret, so a restarted webhook can reuse what it issued before
/// (<see cref="LeafCache.Remember"/>) and a reconciler can decide whether to re-issue.
/// </summary>
public static class LeafReader
{
    /// <summary>
    /// Returns the leaf stored as <paramref name="tlsCrt"/>/<paramref name="tlsKey"/> when its first
    /// certificate was signed by <paramref name="ca"/> and the key matches it; null otherwise
    /// (unreadable, another CA, or a mismatched key: all mean "issue a new one").
    /// <see cref="IssuedLeaf.Names"/> are the certificate's SANs, normalized and sorted, so they can be
    /// compared with <see cref="LeafCacheKey.Names"/>. Texts are kept as given.
    /// </summary>
    public static IssuedLeaf? Read(string? tlsCrt, string? tlsKey, CertificateAuthority ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var certs = Pem.DecodeCertificates(tlsCrt, out _);
        if (certs.Count == 0 || tlsKey is null)
        {
            return null;
        }

        var leaf = certs[0];
        if (!leaf.IssuerDN.Equivalent(ca.Certificate.SubjectDN) || !CertificateFacts.SignedBy(leaf, ca.Certificate.GetPublicKey()))
        {
            return null;
        }

        var import = CertificateAuthority.ReadPrivateKeyForReader(tlsKey);
        if (import is null || !CertificateFacts.KeyMatches(leaf, import))
        {
            return null;
        }

        var sans = leaf.GetSubjectAlternativeNames();
        if (sans is null || sans.Count == 0)
        {
            return null;
        }

        var names = sans
            .Where(s => s.Count >= 2 && s[0] is int tag && (tag == GeneralName.DnsName || tag == GeneralName.IPAddress))
            .Select(s => s[1]!.ToString()!)
            .ToList();
        if (names.Count == 0)
        {
            return null;
        }

        return new IssuedLeaf(
            tlsCrt!,
            tlsKey,
            LeafNames.Sorted(names),
            new DateTimeOffset(leaf.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            leaf.SerialNumber.ToString(16),
            ca.Fingerprint);
    }
}
