using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EgressTls.Kubernetes;

namespace EgressTls.Kubernetes.Tests;

/// <summary>Makes real (throw-away) ECDSA CAs with .NET's own crypto; counts how many it made.</summary>
internal sealed class TestCaGenerator : ICaGenerator
{
    private int generated;

    public int Generated => Volatile.Read(ref generated);

    public CaKeyPair Generate()
    {
        Interlocked.Increment(ref generated);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=egress-tls test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return new CaKeyPair(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
