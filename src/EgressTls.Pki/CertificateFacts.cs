using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;

namespace EgressTls.Pki;

/// <summary>Small pure helpers over BouncyCastle certificates and keys shared by the PKI types.</summary>
internal static class CertificateFacts
{
    /// <summary>Clock skew allowance: certificates start this long before "now" (cert-manager and most CAs do the same).</summary>
    public static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    /// <summary>Lowercase hex SHA-256 of the DER encoding.</summary>
    public static string Fingerprint(X509Certificate certificate)
    {
        var der = certificate.GetEncoded();
        var digest = new Sha256Digest();
        digest.BlockUpdate(der, 0, der.Length);
        var hash = new byte[digest.GetDigestSize()];
        digest.DoFinal(hash, 0);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>True when subject equals issuer and the certificate verifies with its own key.</summary>
    public static bool IsSelfSigned(X509Certificate certificate) =>
        certificate.SubjectDN.Equivalent(certificate.IssuerDN) && SignedBy(certificate, certificate.GetPublicKey());

    /// <summary>True when <paramref name="certificate"/>'s signature verifies with <paramref name="issuerKey"/>.</summary>
    public static bool SignedBy(X509Certificate certificate, AsymmetricKeyParameter issuerKey)
    {
        try
        {
            certificate.Verify(issuerKey);
            return true;
        }
        catch (Exception e) when (e is GeneralSecurityException or InvalidKeyException or ArgumentException or InvalidOperationException
                                      or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            return false;
        }
    }

    /// <summary>
    /// The key identifier of a certificate: its subjectKeyIdentifier extension, or, when absent,
    /// the RFC 5280 4.2.1.2 method (1) value (SHA-1 of the subjectPublicKey BIT STRING).
    /// </summary>
    public static byte[] KeyIdentifier(X509Certificate certificate)
    {
        var ext = certificate.GetExtensionValue(X509Extensions.SubjectKeyIdentifier);
        if (ext is not null)
        {
            return SubjectKeyIdentifier.GetInstance(X509ExtensionUtilities.FromExtensionValue(ext)).GetKeyIdentifier();
        }

        return X509ExtensionUtilities.CreateSubjectKeyIdentifier(certificate.GetPublicKey()).GetKeyIdentifier();
    }

    /// <summary>The signature algorithm a CA key signs with: SHA-256 for P-256 and RSA, SHA-384 for P-384, SHA-512 for P-521.</summary>
    public static string SignatureAlgorithm(AsymmetricKeyParameter signingKey) => signingKey switch
    {
        ECPrivateKeyParameters ec => ec.Parameters.Curve.FieldSize switch
        {
            <= 256 => "SHA256WITHECDSA",
            <= 384 => "SHA384WITHECDSA",
            _ => "SHA512WITHECDSA",
        },
        RsaKeyParameters => "SHA256WITHRSA",
        _ => throw new ArgumentException($"unsupported signing key type {signingKey.GetType().Name}", nameof(signingKey)),
    };

    /// <summary>
    /// A random positive serial of 128 bits (RFC 5280 4.1.2.2: positive, at most 20 octets; CA/B
    /// Forum asks for at least 64 bits of entropy). Zero is redrawn.
    /// </summary>
    public static BigInteger RandomSerial(SecureRandom random)
    {
        while (true)
        {
            var serial = new BigInteger(128, random);
            if (serial.SignValue > 0)
            {
                return serial;
            }
        }
    }

    /// <summary>Drops sub-second precision: X.509 times are whole seconds (RFC 5280 4.1.2.5).</summary>
    public static DateTime WholeSecondsUtc(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    /// <summary>A distinguished name with the attributes in the given order, values never re-parsed (so commas are safe).</summary>
    public static X509Name Name(params (DerObjectIdentifier Oid, string Value)[] attributes) =>
        new(attributes.Select(a => a.Oid).ToList(), attributes.Select(a => a.Value).ToList());

    /// <summary>True when the public key of <paramref name="certificate"/> is the public half of <paramref name="privateKey"/>.</summary>
    public static bool KeyMatches(X509Certificate certificate, AsymmetricKeyParameter privateKey)
    {
        var pub = certificate.GetPublicKey();
        switch (privateKey, pub)
        {
            case (RsaPrivateCrtKeyParameters rsaPriv, RsaKeyParameters rsaPub):
                return rsaPriv.Modulus.Equals(rsaPub.Modulus) && rsaPriv.PublicExponent.Equals(rsaPub.Exponent);
            case (RsaKeyParameters rsaPriv, RsaKeyParameters rsaPub):
                return rsaPriv.Modulus.Equals(rsaPub.Modulus);
            case (ECPrivateKeyParameters ecPriv, ECPublicKeyParameters ecPub):
                if (!ecPriv.Parameters.Curve.Equals(ecPub.Parameters.Curve))
                {
                    return false;
                }

                var q = ecPriv.Parameters.G.Multiply(ecPriv.D).Normalize();
                return q.Equals(ecPub.Q.Normalize());
            default:
                return false;
        }
    }
}
