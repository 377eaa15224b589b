using System.Collections.Immutable;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;

namespace EgressTls.Pki;

/// <summary>Issues server (leaf) certificates from a <see cref="CertificateAuthority"/>. Pure: clock and randomness are arguments.</summary>
public static class LeafIssuer
{
    /// <summary>
    /// Generates a key of <see cref="LeafRequest.Algorithm"/> and signs a leaf for it; see
    /// <see cref="Sign"/> for the certificate's contents.
    /// </summary>
    public static IssuedLeaf Issue(CertificateAuthority ca, LeafRequest request, TimeProvider time, SecureRandom random)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Sign(ca, request, request.Algorithm.GenerateKeyPair(random), time, random);
    }

    /// <summary>
    /// Signs a leaf for an existing key pair (RSA key generation dominates issuance time; this lets
    /// callers measure or pre-generate it). The certificate: subject CN = first name (truncated to
    /// 64 characters, ub-common-name), subjectAltName with every name (dNSName or iPAddress, RFC 5280
    /// 4.2.1.6; the CN is not what clients match), basicConstraints CA:FALSE, keyUsage digitalSignature
    /// (+ keyEncipherment for RSA keys, RFC 5280 4.2.1.3) critical, extendedKeyUsage serverAuth,
    /// subjectKeyIdentifier, authorityKeyIdentifier = the CA's key identifier (RFC 5280 4.2.1.1),
    /// a random positive 128-bit serial, validity from now - 5 minutes (clock skew) to now + duration.
    /// TlsCrt = leaf + <see cref="CertificateAuthority.LeafChain"/>, never the root and never a
    /// separate <c>ca.crt</c> (Cilium #31761).
    /// </summary>
    public static IssuedLeaf Sign(CertificateAuthority ca, LeafRequest request, AsymmetricCipherKeyPair keys, TimeProvider time, SecureRandom random)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        if (request.EffectiveDuration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.EffectiveDuration, "leaf duration must be positive");
        }

        var names = LeafNames.Normalize(request.Names);
        var now = time.GetUtcNow();
        var notBefore = CertificateFacts.WholeSecondsUtc(now - CertificateFacts.Backdate);
        var notAfter = CertificateFacts.WholeSecondsUtc(now + request.EffectiveDuration);
        var cn = names[0].Length <= 64 ? names[0] : names[0][..64];
        var serial = CertificateFacts.RandomSerial(random);

        var gen = new X509V3CertificateGenerator();
        gen.SetSerialNumber(serial);
        gen.SetIssuerDN(ca.Certificate.SubjectDN);
        gen.SetSubjectDN(CertificateFacts.Name((X509Name.CN, cn)));
        gen.SetNotBefore(notBefore);
        gen.SetNotAfter(notAfter);
        gen.SetPublicKey(keys.Public);
        gen.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        var usage = KeyUsage.DigitalSignature | (keys.Public is RsaKeyParameters ? KeyUsage.KeyEncipherment : 0);
        gen.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(usage));
        gen.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth));
        gen.AddExtension(X509Extensions.SubjectKeyIdentifier, false, X509ExtensionUtilities.CreateSubjectKeyIdentifier(keys.Public));
        gen.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, new AuthorityKeyIdentifier(ca.KeyIdentifier));
        var sans = names.Select(n => LeafNames.IsIpAddress(n)
            ? new GeneralName(GeneralName.IPAddress, n)
            : new GeneralName(GeneralName.DnsName, n));
        gen.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames([.. sans]));

        var cert = gen.Generate(new Asn1SignatureFactory(CertificateFacts.SignatureAlgorithm(ca.PrivateKey), ca.PrivateKey, random));
        return new IssuedLeaf(
            Pem.EncodeCertificates([cert, .. ca.LeafChain]),
            Pem.EncodePrivateKey(keys),
            [.. names.Order(StringComparer.Ordinal)],
            new DateTimeOffset(notBefore, TimeSpan.Zero),
            new DateTimeOffset(notAfter, TimeSpan.Zero),
            serial.ToString(16),
            ca.Fingerprint);
    }
}
