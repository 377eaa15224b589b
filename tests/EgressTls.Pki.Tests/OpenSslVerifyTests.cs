using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

/// <summary>`openssl verify -x509_strict -purpose sslserver` of every issued chain against the bundle.</summary>
public sealed class OpenSslVerifyTests
{
    private static void Verify(TempDir dir, CertificateAuthority ca, IssuedLeaf leaf, string name)
    {
        var blocks = Pem.Blocks(leaf.TlsCrt);
        var leafFile = dir.Write("leaf.crt", Pem.Encode("CERTIFICATE", blocks[0].Der!));
        var bundle = dir.Write("ca-bundle.crt", TrustBundleBuilder.Build([ca.TrustAnchor], Fixtures.PublicRoots, Randomness.Real()).CaBundleCrt);
        var args = new List<string> { "verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname", name, "-CAfile", bundle };
        if (blocks.Count > 1)
        {
            args.AddRange(["-untrusted", dir.Write("intermediates.crt", string.Concat(blocks.Skip(1).Select(b => Pem.Encode("CERTIFICATE", b.Der!))))]);
        }

        var ok = Tool.Run("openssl", [.. args, leafFile]);
        ok.ExitCode.Should().Be(0, ok.All);
        ok.Stdout.Should().Contain(": OK");

        var alone = Tool.Run("openssl", "verify", "-CAfile", "/etc/ssl/certs/ca-certificates.crt", leafFile);
        alone.ExitCode.Should().NotBe(0, "public roots alone must not validate our leaf");
    }

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256)]
    [InlineData(KeyAlgorithm.EcdsaP384)]
    [InlineData(KeyAlgorithm.Rsa2048)]
    [InlineData(KeyAlgorithm.Rsa3072)]
    [InlineData(KeyAlgorithm.Rsa4096)]
    public void Chain_verifies_for_every_algorithm(KeyAlgorithm alg)
    {
        using var dir = new TempDir();
        var ca = CertificateAuthority.Generate(new CaOptions(alg), TimeProvider.System, Randomness.Real());
        var leaf = LeafIssuer.Issue(ca, new LeafRequest(["svc.example.test", "10.0.0.1"], alg), TimeProvider.System, Randomness.Real());
        Verify(dir, ca, leaf, "svc.example.test");
        Tool.Ok("openssl", "pkey", "-in", dir.Write("leaf.key", leaf.TlsKey), "-noout"); // PKCS#8 key readable by OpenSSL
    }

    [Theory]
    [InlineData("ecdsa-p256", KeyAlgorithm.EcdsaP256)]
    [InlineData("rsa-3072", KeyAlgorithm.Rsa2048)]
    public void Chain_from_an_imported_intermediate_verifies(string scriptAlg, KeyAlgorithm leafAlg)
    {
        using var dir = new TempDir();
        PkiScript.Make(dir.Path, "--key-algorithm", scriptAlg);
        var import = CertificateAuthority.Import(File.ReadAllText(dir.File("intermediate-ca.crt")), File.ReadAllText(dir.File("intermediate-ca.key")),
            File.ReadAllText(dir.File("root-ca.crt")), TimeProvider.System);
        import.Errors.Should().BeEmpty();
        var leaf = LeafIssuer.Issue(import.Authority!, new LeafRequest(["*.svc.example.test"], leafAlg), TimeProvider.System, Randomness.Real());
        Verify(dir, import.Authority!, leaf, "x.svc.example.test");
    }
}
