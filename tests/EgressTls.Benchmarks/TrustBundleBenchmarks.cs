using BenchmarkDotNet.Attributes;
using EgressTls.Pki;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace EgressTls.Benchmarks;

/// <summary>Trust bundle build (parse, dedupe, sort, PEM, PKCS#12 with its MAC) from ~150 public roots plus two CAs.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class TrustBundleBenchmarks
{
    private const string SystemBundle = "/etc/ssl/certs/ca-certificates.crt";
    private readonly SecureRandom random = new();
    private string roots = "";
    private X509Certificate[] anchors = [];

    [GlobalSetup]
    public void Setup()
    {
        var current = CertificateAuthority.Generate(new CaOptions(), TimeProvider.System, random);
        var previous = CertificateAuthority.Generate(new CaOptions(), TimeProvider.System, random);
        anchors = [current.TrustAnchor, previous.TrustAnchor];
        // The machine's public roots (~150) when present; otherwise 150 generated roots.
        roots = File.Exists(SystemBundle)
            ? File.ReadAllText(SystemBundle)
            : Pem.EncodeCertificates(Enumerable.Range(0, 150).Select(_ => CertificateAuthority.Generate(new CaOptions(), TimeProvider.System, random).Certificate));
    }

    [Benchmark]
    public TrustBundle BuildWithPublicRoots() => TrustBundleBuilder.Build(anchors, roots, random);
}
