using System.Collections.Immutable;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Oiw;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace EgressTls.Pki;

/// <summary>
/// Builds <see cref="TrustBundle"/>s from our trust anchors and a public-roots PEM bundle.
/// Deterministic: identical inputs give identical text, and identical PKCS#12 bytes when the random
/// source yields the same bytes (only the MAC salt is random).
/// </summary>
public static class TrustBundleBuilder
{
    /// <summary>The well-known trust store password (the JDK's default for cacerts); a trust store holds no secrets.</summary>
    public const string TruststorePassword = "changeit";

    /// <summary>
    /// Oracle's PKCS#12 "trusted key usage" attribute. The JDK loads a certificate bag as a
    /// trustedCertEntry only when it carries this attribute (sun.security.pkcs12.PKCS12KeyStore);
    /// without it the store opens with zero trusted entries.
    /// </summary>
    private static readonly DerObjectIdentifier OracleTrustedKeyUsage = new("2.16.840.1.113894.746875.1.1");

    /// <summary>The JDK's own choice of MAC iterations (keystore.pkcs12.macIterationCount).</summary>
    private const int MacIterations = 10000;

    /// <summary>
    /// Builds the bundle. <paramref name="anchors"/> are our CA trust anchors (current first, then the
    /// next and retiring CAs during rotation, see <see cref="CaRotation.BundleAnchors"/>);
    /// <paramref name="publicRootsPem"/> is a PEM bundle such as /etc/ssl/certs/ca-certificates.crt
    /// (comments, blank lines and non-certificate blocks are ignored, undecodable blocks counted).
    /// Public roots are deduplicated by SHA-256 fingerprint and ordered by fingerprint so the output
    /// does not depend on the source file's order; our anchors keep their given order and come last.
    /// </summary>
    public static TrustBundle Build(IEnumerable<X509Certificate> anchors, string? publicRootsPem, SecureRandom random)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        ArgumentNullException.ThrowIfNull(random);
        var ours = Dedupe(anchors.Select(c => (Cert: c, Fp: CertificateFacts.Fingerprint(c))));
        var ourFps = ours.Select(o => o.Fp).ToHashSet(StringComparer.Ordinal);
        var roots = Dedupe(Pem.DecodeCertificates(publicRootsPem, out var unreadable).Select(c => (Cert: c, Fp: CertificateFacts.Fingerprint(c))))
            .Where(r => !ourFps.Contains(r.Fp))
            .OrderBy(r => r.Fp, StringComparer.Ordinal)
            .ToList();
        var all = roots.Concat(ours).ToList();

        var p12 = BuildTruststore(
            all.Select(e => (e.Cert, Alias: (ourFps.Contains(e.Fp) ? "egress-tls-" : "") + e.Fp[..16])),
            TruststorePassword,
            random);
        return new TrustBundle(
            Pem.EncodeCertificates(ours.Select(o => o.Cert)),
            Pem.EncodeCertificates(all.Select(o => o.Cert)),
            [.. p12],
            [.. all.Select(o => o.Fp)],
            unreadable);
    }

    /// <summary>
    /// The public roots alone, deduplicated and ordered by fingerprint, as canonical PEM: the
    /// <c>ca.crt</c> of the CA-only upstream Secret that <c>originatingTLS</c> uses to verify real
    /// servers (no <c>tls.crt</c>/<c>tls.key</c> in it, or Cilium's SDS would read it as a certificate, cilium-facts 2.3).
    /// </summary>
    public static string PublicRootsPem(string? publicRootsPem) =>
        Pem.EncodeCertificates(Dedupe(Pem.DecodeCertificates(publicRootsPem, out _).Select(c => (Cert: c, Fp: CertificateFacts.Fingerprint(c))))
            .OrderBy(r => r.Fp, StringComparer.Ordinal)
            .Select(r => r.Cert));

    /// <summary>
    /// A PKCS#12 (RFC 7292) trust store: one unencrypted SafeContents of certBags, each with a
    /// friendlyName (the alias) and the Oracle trusted-key-usage attribute (anyExtendedKeyUsage),
    /// integrity-protected by an HMAC-SHA1 MAC keyed with the PKCS#12 KDF (RFC 7292 appendix B),
    /// which every JDK since 8 and OpenSSL read. The 20-byte MAC salt is the only random input.
    /// </summary>
    internal static byte[] BuildTruststore(IEnumerable<(X509Certificate Cert, string Alias)> entries, string password, SecureRandom random)
    {
        var bags = new Asn1EncodableVector();
        foreach (var (cert, alias) in entries)
        {
            var certBag = new CertBag(PkcsObjectIdentifiers.X509Certificate, new DerOctetString(cert.GetEncoded()));
            var attributes = new DerSet(
                new AttributePkcs(PkcsObjectIdentifiers.Pkcs9AtFriendlyName, new DerSet(new DerBmpString(alias))),
                new AttributePkcs(OracleTrustedKeyUsage, new DerSet(KeyPurposeID.AnyExtendedKeyUsage)));
            bags.Add(new SafeBag(PkcsObjectIdentifiers.CertBag, certBag.ToAsn1Object(), attributes));
        }

        var safeContents = new DerSequence(bags).GetEncoded(Asn1Encodable.Der);
        var authSafe = new AuthenticatedSafe([new ContentInfo(PkcsObjectIdentifiers.Data, new DerOctetString(safeContents))]);
        var authSafeBytes = authSafe.GetEncoded(Asn1Encodable.Der);

        var salt = new byte[20];
        random.NextBytes(salt);
        var kdf = new Pkcs12ParametersGenerator(new Sha1Digest());
        kdf.Init(PbeParametersGenerator.Pkcs12PasswordToBytes(password.ToCharArray()), salt, MacIterations);
        var macKey = (KeyParameter)kdf.GenerateDerivedMacParameters(160);
        var hmac = new HMac(new Sha1Digest());
        hmac.Init(macKey);
        hmac.BlockUpdate(authSafeBytes, 0, authSafeBytes.Length);
        var mac = new byte[hmac.GetMacSize()];
        hmac.DoFinal(mac, 0);

        var macData = new MacData(new DigestInfo(new AlgorithmIdentifier(OiwObjectIdentifiers.IdSha1, DerNull.Instance), mac), salt, MacIterations);
        var pfx = new Pfx(new ContentInfo(PkcsObjectIdentifiers.Data, new DerOctetString(authSafeBytes)), macData);
        return pfx.GetEncoded(Asn1Encodable.Der);
    }

    private static List<(X509Certificate Cert, string Fp)> Dedupe(IEnumerable<(X509Certificate Cert, string Fp)> certs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return certs.Where(c => seen.Add(c.Fp)).ToList();
    }
}
