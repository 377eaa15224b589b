using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EgressTls.Kubernetes.ServingCertificate;

/// <summary>
/// Makes the serving CA and serving certificates (ECDSA P-256, platform crypto). Only the webhook's own HTTPS
/// certificate: the interception CA and its leaves come from the PKI. Backdated by a minute for clock skew
/// between this pod and the API server.
/// </summary>
public static class ServingCertificateIssuer
{
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(1);

    /// <summary>A new self-signed serving CA valid from <paramref name="now"/> for <paramref name="duration"/>.</summary>
    public static ServingKeyPair CreateCa(string commonName, DateTimeOffset now, TimeSpan duration)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var ca = request.CreateSelfSigned(now - Backdate, now + duration);
        return new ServingKeyPair(ca.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>A serving certificate for <paramref name="dnsNames"/> signed by <paramref name="ca"/>, ending at
    /// <paramref name="notAfter"/> (see <see cref="ServingCertificatePlanner.CertificateNotAfter"/>).</summary>
    public static ServingKeyPair Issue(ServingKeyPair ca, IReadOnlyList<string> dnsNames, DateTimeOffset now, DateTimeOffset notAfter)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(dnsNames);
        using var issuer = X509Certificate2.CreateFromPem(ca.CertificatePem, ca.PrivateKeyPem);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={dnsNames[0]}"), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var notBefore = now - Backdate < issuer.NotBefore.ToUniversalTime() ? issuer.NotBefore.ToUniversalTime() : now - Backdate;
        var end = notAfter > issuer.NotAfter.ToUniversalTime() ? issuer.NotAfter.ToUniversalTime() : notAfter;
        using var cert = request.Create(issuer, notBefore, end, RandomNumberGenerator.GetBytes(16).Select((b, i) => i == 0 ? (byte)(b & 0x7F) : b).ToArray());
        return new ServingKeyPair(cert.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }
}
