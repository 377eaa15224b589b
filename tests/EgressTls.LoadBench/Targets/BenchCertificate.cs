using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EgressTls.LoadBench.Targets;

/// <summary>
/// The serving certificate of both targets, made at run time (never stored): ECDSA P-256 for
/// 127.0.0.1 and localhost, written as PEM into the run's temporary directory so the floor and
/// <c>serve</c> load the very same key. The client pins it by its SHA-256 hash.
/// </summary>
public sealed class BenchCertificate
{
    private BenchCertificate(string certFile, string keyFile, byte[] hash)
    {
        CertFile = certFile;
        KeyFile = keyFile;
        Sha256 = hash;
    }

    /// <summary>PEM certificate file.</summary>
    public string CertFile { get; }

    /// <summary>PEM PKCS#8 private key file (mode 600).</summary>
    public string KeyFile { get; }

    /// <summary>SHA-256 of the DER certificate, for pinning.</summary>
    public byte[] Sha256 { get; }

    /// <summary>Creates the certificate in <paramref name="directory"/>.</summary>
    public static BenchCertificate Create(string directory, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=egress-tls-loadbench", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        var certFile = Path.Combine(directory, "tls.crt");
        var keyFile = Path.Combine(directory, "tls.key");
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return new BenchCertificate(certFile, keyFile, SHA256.HashData(certificate.RawData));
    }

    /// <summary>Loads the certificate with its key, for a Kestrel endpoint.</summary>
    public static X509Certificate2 Load(string certFile, string keyFile) =>
        X509Certificate2.CreateFromPemFile(certFile, keyFile);

    /// <summary>True when <paramref name="certificate"/> is this one.</summary>
    public bool Matches(X509Certificate? certificate) =>
        certificate is not null && SHA256.HashData(certificate.GetRawCertData()).AsSpan().SequenceEqual(Sha256);
}
