using System.Text;
using System.Text.RegularExpressions;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.X509;

namespace EgressTls.Pki;

/// <summary>
/// PEM encoding and tolerant decoding. Output is canonical (64-column base64, LF line ends, one
/// trailing newline per block) so identical inputs give byte-identical text.
/// </summary>
public static partial class Pem
{
    [GeneratedRegex(@"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex BlockRegex();

    /// <summary>Encodes one DER object as a PEM block with the given label (e.g. <c>CERTIFICATE</c>).</summary>
    public static string Encode(string label, byte[] der)
    {
        var b64 = Convert.ToBase64String(der);
        var sb = new StringBuilder(b64.Length + (b64.Length / 64) + 64);
        sb.Append("-----BEGIN ").Append(label).Append("-----\n");
        for (var i = 0; i < b64.Length; i += 64)
        {
            sb.Append(b64, i, Math.Min(64, b64.Length - i)).Append('\n');
        }

        return sb.Append("-----END ").Append(label).Append("-----\n").ToString();
    }

    /// <summary>Encodes certificates as consecutive PEM <c>CERTIFICATE</c> blocks, in the given order.</summary>
    public static string EncodeCertificates(IEnumerable<X509Certificate> certificates) =>
        string.Concat(certificates.Select(c => Encode("CERTIFICATE", c.GetEncoded())));

    /// <summary>Encodes a private key as unencrypted PKCS#8 (<c>PRIVATE KEY</c>), the form Envoy and Kubernetes TLS Secrets accept.</summary>
    public static string EncodePrivateKey(AsymmetricKeyParameter privateKey) =>
        Encode("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(privateKey).GetEncoded());

    /// <summary>
    /// Encodes the private half of <paramref name="keys"/> as unencrypted PKCS#8. For EC keys the public
    /// point that PKCS#8/SEC1 (RFC 5915) embeds is taken from the pair instead of being recomputed,
    /// which saves one scalar multiplication per leaf; the bytes equal <see cref="EncodePrivateKey(AsymmetricKeyParameter)"/>.
    /// </summary>
    public static string EncodePrivateKey(AsymmetricCipherKeyPair keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Private is ECPrivateKeyParameters ec && keys.Public is ECPublicKeyParameters pub && ec.PublicKeyParamSet is { } curve)
        {
            var parameters = new X962Parameters(curve);
            var ecKey = new ECPrivateKeyStructure(ec.Parameters.N.BitLength, ec.D, new DerBitString(pub.Q.GetEncoded(false)), parameters);
            var info = new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.IdECPublicKey, parameters), ecKey);
            return Encode("PRIVATE KEY", info.GetEncoded());
        }

        return EncodePrivateKey(keys.Private);
    }

    /// <summary>
    /// Every PEM block in <paramref name="text"/> as (label, DER). Text outside blocks (comments,
    /// blank lines, OpenSSL's "subject=" lines) is ignored; a block whose base64 is corrupt is
    /// returned with <c>Der = null</c> so callers can report it.
    /// </summary>
    public static IReadOnlyList<(string Label, byte[]? Der)> Blocks(string? text)
    {
        var result = new List<(string, byte[]?)>();
        if (string.IsNullOrEmpty(text))
        {
            return result;
        }

        foreach (Match m in BlockRegex().Matches(text))
        {
            var body = m.Groups[2].Value;
            // Headers of encrypted legacy keys ("Proc-Type: ...") are kept out of the base64.
            var b64 = string.Concat(body.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.Contains(':')));
            byte[]? der;
            try
            {
                der = Convert.FromBase64String(b64);
            }
            catch (FormatException)
            {
                der = null;
            }

            result.Add((m.Groups[1].Value, der));
        }

        return result;
    }

    /// <summary>
    /// Parses every <c>CERTIFICATE</c> block of <paramref name="text"/>; blocks that do not decode are
    /// counted in <paramref name="unreadable"/> instead of failing the whole bundle.
    /// </summary>
    public static IReadOnlyList<X509Certificate> DecodeCertificates(string? text, out int unreadable)
    {
        var parser = new X509CertificateParser();
        var certs = new List<X509Certificate>();
        unreadable = 0;
        foreach (var (label, der) in Blocks(text))
        {
            if (label != "CERTIFICATE")
            {
                continue;
            }

            try
            {
                certs.Add((der is null ? null : parser.ReadCertificate(der)) ?? throw new FormatException());
            }
            catch (Exception e) when (e is FormatException or IOException or ArgumentException or InvalidOperationException
                                          or Org.BouncyCastle.Security.Certificates.CertificateException)
            {
                unreadable++;
            }
        }

        return certs;
    }
}
