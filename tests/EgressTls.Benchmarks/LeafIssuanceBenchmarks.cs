using BenchmarkDotNet.Attributes;
using EgressTls.Pki;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;

namespace EgressTls.Benchmarks;

/// <summary>
/// Leaf issuance cost. RSA key generation dominates RSA issuance, so it is measured apart from
/// signing (Sign with a pre-generated key); P-256 is measured end to end (key generation + signing).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class LeafIssuanceBenchmarks
{
    private readonly SecureRandom random = new();
    private CertificateAuthority caP256 = null!;
    private CertificateAuthority caRsa = null!;
    private AsymmetricCipherKeyPair rsaLeafKey = null!;
    private AsymmetricCipherKeyPair p256LeafKey = null!;
    private LeafRequest p256 = null!;
    private LeafRequest rsa = null!;

    [GlobalSetup]
    public void Setup()
    {
        caP256 = CertificateAuthority.Generate(new CaOptions(KeyAlgorithm.EcdsaP256), TimeProvider.System, random);
        caRsa = CertificateAuthority.Generate(new CaOptions(KeyAlgorithm.Rsa2048), TimeProvider.System, random);
        rsaLeafKey = KeyAlgorithm.Rsa2048.GenerateKeyPair(random);
        p256LeafKey = KeyAlgorithm.EcdsaP256.GenerateKeyPair(random);
        p256 = new LeafRequest(["api.github.com", "*.github.com"], KeyAlgorithm.EcdsaP256);
        rsa = new LeafRequest(["api.github.com", "*.github.com"], KeyAlgorithm.Rsa2048);
    }

    /// <summary>Full issuance with the default algorithms: P-256 key, signed by a P-256 CA.</summary>
    [Benchmark(Baseline = true)]
    public IssuedLeaf LeafP256() => LeafIssuer.Issue(caP256, p256, TimeProvider.System, random);

    /// <summary>P-256 key generation alone.</summary>
    [Benchmark]
    public AsymmetricCipherKeyPair P256KeyGeneration() => KeyAlgorithm.EcdsaP256.GenerateKeyPair(random);

    /// <summary>Signing a P-256 leaf with a pre-generated key (the rest of <see cref="LeafP256"/>).</summary>
    [Benchmark]
    public IssuedLeaf LeafP256SignOnly() => LeafIssuer.Sign(caP256, p256, p256LeafKey, TimeProvider.System, random);

    /// <summary>RSA-2048 key generation alone.</summary>
    [Benchmark]
    public AsymmetricCipherKeyPair Rsa2048KeyGeneration() => KeyAlgorithm.Rsa2048.GenerateKeyPair(random);

    /// <summary>Signing an RSA-2048 leaf with a pre-generated key by an RSA-2048 CA (no key generation).</summary>
    [Benchmark]
    public IssuedLeaf LeafRsa2048SignOnly() => LeafIssuer.Sign(caRsa, rsa, rsaLeafKey, TimeProvider.System, random);
}
