using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EgressTls.Webhook.Serving;

/// <summary>
/// A self-signed serving certificate made at start when no certificate files are configured: for local
/// use only (the API server would not trust it). ECDSA P-256 from the platform, with the names a client
/// may use: localhost, the loopback addresses and the in-cluster Service names.
/// </summary>
internal static class EphemeralCertificate
{
    /// <summary>Creates the certificate, valid from a minute ago for 30 days (the process is expected to be short-lived).</summary>
    public static X509Certificate2 Create(string serviceName, string @namespace, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={serviceName}.{@namespace}.svc", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in DnsNames(serviceName, @namespace))
        {
            names.AddDnsName(dns);
        }

        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request.CreateSelfSigned(now.AddMinutes(-1), now.AddDays(30));
    }

    /// <summary>localhost and the names the API server uses for a webhook Service.</summary>
    public static IReadOnlyList<string> DnsNames(string serviceName, string @namespace) =>
    [
        "localhost",
        serviceName,
        $"{serviceName}.{@namespace}",
        $"{serviceName}.{@namespace}.svc",
        $"{serviceName}.{@namespace}.svc.cluster.local",
    ];
}
