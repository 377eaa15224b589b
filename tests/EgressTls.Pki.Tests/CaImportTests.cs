using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

public sealed class CaImportTests
{
    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var ca = Fixtures.Ca(seed: 1);
        var other = Fixtures.Ca(seed: 2);
        var leaf = LeafIssuer.Issue(ca, Fixtures.Request("svc.example.test"), TimeProvider.System, Randomness.Seeded(3));

        // A leaf (not a CA) as tls.crt, someone else's key, a corrupt chain block.
        var result = CertificateAuthority.Import(
            leaf.TlsCrt,
            other.ToSecretData().TlsKey,
            "-----BEGIN CERTIFICATE-----\n!!!notbase64!!!\n-----END CERTIFICATE-----\n",
            TimeProvider.System);

        result.Succeeded.Should().BeFalse();
        result.Authority.Should().BeNull();
        result.Errors.Should().SatisfyRespectively(
            e => e.Should().Be("ca.crt: 1 CERTIFICATE block(s) could not be decoded"),
            e => e.Should().Be("tls.crt: \"CN=svc.example.test\" is not a CA certificate; expected basicConstraints CA:TRUE (RFC 5280 4.2.1.9)"),
            e => e.Should().StartWith("tls.crt: \"CN=svc.example.test\" keyUsage lacks keyCertSign"),
            e => e.Should().Be("tls.key: the private key does not match the public key of the CA certificate in tls.crt"),
            e => e.Should().StartWith($"chain: the issuer \"{ca.Certificate.SubjectDN}\" of \"CN=svc.example.test\" is missing"));
    }

    [Fact]
    public void Missing_certificate_and_key_are_reported_together()
    {
        var result = CertificateAuthority.Import("# nothing here\n", "", null, TimeProvider.System);
        result.Errors.Should().Equal(
            "tls.key: no private key found; expected an unencrypted PEM PRIVATE KEY (PKCS#8), RSA PRIVATE KEY (PKCS#1) or EC PRIVATE KEY (SEC1)",
            "tls.crt: no certificate found; expected the PEM CA certificate first, optionally followed by its chain");
    }

    [Fact]
    public void Encrypted_keys_and_expired_CAs_are_errors()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var ca = CertificateAuthority.Generate(new CaOptions(Duration: TimeSpan.FromHours(10)), time, Randomness.Seeded(5));
        time.Advance(TimeSpan.FromHours(11));
        var result = CertificateAuthority.Import(ca.ToSecretData().TlsCrt, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", null, time);
        result.Errors.Should().Equal(
            "tls.key: \"ENCRYPTED PRIVATE KEY\" is not supported; expected an unencrypted PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY",
            $"tls.crt: \"{ca.Certificate.SubjectDN}\" is not valid now; validity is 2026-01-15T11:55:00Z to 2026-01-15T22:00:00Z");
    }

    [Fact]
    public void Intermediate_without_its_root_is_an_error()
    {
        using var dir = new TempDir();
        PkiScript.Make(dir.Path);
        var result = CertificateAuthority.Import(File.ReadAllText(dir.File("intermediate-ca.crt")), File.ReadAllText(dir.File("intermediate-ca.key")), null, TimeProvider.System);
        result.Errors.Should().ContainSingle().Which.Should().Be("chain: the issuer \"O=egress-tls lab,CN=egress-tls lab Root CA\" of \"O=egress-tls lab,CN=egress-tls lab Intermediate CA\" is missing; "
            + "expected the chain up to the self-signed root after the CA in tls.crt or in ca.crt");
    }

    [Theory]
    [InlineData("pkcs8", "ecdsa-p256")]
    [InlineData("sec1", "ecdsa-p256")]
    [InlineData("pkcs1", "rsa-2048")]
    public void Intermediate_imports_with_every_key_format_and_the_root_becomes_the_trust_anchor(string format, string alg)
    {
        using var dir = new TempDir();
        PkiScript.Make(dir.Path, "--key-algorithm", alg);
        var keyFile = dir.File("intermediate-ca.key");
        var key = format switch
        {
            "sec1" => Tool.Ok("openssl", "ec", "-in", keyFile),
            "pkcs1" => Tool.Ok("openssl", "rsa", "-traditional", "-in", keyFile),
            _ => File.ReadAllText(keyFile),
        };
        key.Should().Contain(format switch { "sec1" => "BEGIN EC PRIVATE KEY", "pkcs1" => "BEGIN RSA PRIVATE KEY", _ => "BEGIN PRIVATE KEY" });

        // Root given separately in the chain argument; tls.crt holds only the intermediate.
        var result = CertificateAuthority.Import(File.ReadAllText(dir.File("intermediate-ca.crt")), key, File.ReadAllText(dir.File("root-ca.crt")), TimeProvider.System);

        result.Errors.Should().BeEmpty();
        var ca = result.Authority!;
        ca.TrustAnchor.SubjectDN.ToString().Should().Be("O=egress-tls lab,CN=egress-tls lab Root CA");
        ca.LeafChain.Should().ContainSingle().Which.Should().BeSameAs(ca.Certificate);
        var again = CertificateAuthority.Import(ca.ToSecretData().TlsCrt, ca.ToSecretData().TlsKey, null, TimeProvider.System);
        again.Errors.Should().BeEmpty("the stored form (CA + chain in tls.crt) must re-import");
    }

    [Fact]
    public void Intermediate_under_a_root_with_pathlen_0_is_an_error()
    {
        // RFC 5280 4.2.1.9 / 6.1.4 (m): pathLenConstraint 0 on the root allows no CA below it, so every leaf the
        // intermediate signed would fail verification (OpenSSL: "path length constraint exceeded").
        using var dir = new TempDir();
        var (intermediate, intKey, root) = IntermediateUnder(dir, "/CN=Root pathlen 0", ["basicConstraints=critical,CA:TRUE,pathlen:0", "keyUsage=critical,keyCertSign,cRLSign"]);

        var result = CertificateAuthority.Import(File.ReadAllText(intermediate), File.ReadAllText(intKey), File.ReadAllText(root), TimeProvider.System);

        result.Succeeded.Should().BeFalse();
        result.Errors.Should().ContainSingle().Which.Should().Be(
            "chain: \"CN=Root pathlen 0\" has pathLenConstraint 0 but 1 CA certificate(s) below it (\"CN=Intermediate\"); clients reject every leaf this CA signs (RFC 5280 4.2.1.9)");
    }

    [Fact]
    public void Intermediate_under_a_root_without_keyCertSign_is_an_error()
    {
        // A root whose keyUsage lacks keyCertSign may not sign certificates (RFC 5280 4.2.1.3): OpenSSL fails the chain
        // with "key usage does not include certificate signing".
        using var dir = new TempDir();
        var (intermediate, intKey, root) = IntermediateUnder(dir, "/CN=Root without keyCertSign", ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,digitalSignature,cRLSign"]);

        var result = CertificateAuthority.Import(File.ReadAllText(intermediate), File.ReadAllText(intKey), File.ReadAllText(root), TimeProvider.System);

        result.Succeeded.Should().BeFalse();
        result.Errors.Should().ContainSingle().Which.Should().Be(
            "chain: \"CN=Root without keyCertSign\" signs \"CN=Intermediate\" but its keyUsage lacks keyCertSign (RFC 5280 4.2.1.3)");
    }

    [Theory]
    [InlineData("clientAuth", false)]
    [InlineData("anyExtendedKeyUsage", false)]
    [InlineData("serverAuth,clientAuth", true)]
    public void Intermediate_whose_extendedKeyUsage_excludes_serverAuth_is_an_error(string usages, bool accepted)
    {
        // An extendedKeyUsage on a CA constrains what it may sign for: OpenSSL (purpose sslserver, as TLS clients verify) fails
        // with "unsuitable certificate purpose", Go with "incompatible key usage", for every leaf this CA issues.
        using var dir = new TempDir();
        var (intermediate, intKey, root) = IntermediateUnder(dir, "/CN=Root", ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"],
            $"extendedKeyUsage={usages}\n");
        var leafKey = dir.File("leaf.key");
        Tool.Ok("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", leafKey);
        var leafCsr = dir.File("leaf.csr");
        Tool.Ok("openssl", "req", "-new", "-key", leafKey, "-subj", "/CN=svc.example.test", "-out", leafCsr);
        var leaf = dir.File("leaf.crt");
        Tool.Ok("openssl", "x509", "-req", "-in", leafCsr, "-CA", intermediate, "-CAkey", intKey, "-set_serial", "8", "-days", "10",
            "-extfile", dir.Write("leaf.ext", "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:svc.example.test\n"), "-out", leaf);
        (Tool.Run("openssl", "verify", "-purpose", "sslserver", "-CAfile", root, "-untrusted", intermediate, leaf).ExitCode == 0).Should().Be(accepted);

        var result = CertificateAuthority.Import(File.ReadAllText(intermediate), File.ReadAllText(intKey), File.ReadAllText(root), TimeProvider.System);

        result.Succeeded.Should().Be(accepted);
        if (!accepted)
        {
            result.Errors.Should().ContainSingle().Which.Should().Be(
                "tls.crt: \"CN=Intermediate\" has an extendedKeyUsage without serverAuth; TLS clients reject every server certificate it signs (RFC 5280 4.2.1.12)");
        }
    }

    // A root made with the given extensions and an intermediate CA it signs (with extra extension lines), with openssl.
    private static (string Intermediate, string IntermediateKey, string Root) IntermediateUnder(TempDir dir, string rootSubject, string[] rootExtensions,
        string intermediateExtensions = "")
    {
        string Key(string name)
        {
            var file = dir.File(name);
            Tool.Ok("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file);
            return file;
        }

        var rootKey = Key("root.key");
        var root = dir.File("root.crt");
        Tool.Ok("openssl", ["req", "-x509", "-new", "-key", rootKey, "-days", "30", "-subj", rootSubject, .. rootExtensions.SelectMany(e => new[] { "-addext", e }), "-out", root]);
        var intKey = Key("int.key");
        var csr = dir.File("int.csr");
        Tool.Ok("openssl", "req", "-new", "-key", intKey, "-subj", "/CN=Intermediate", "-out", csr);
        var ext = dir.Write("int.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
            + intermediateExtensions);
        var intermediate = dir.File("int.crt");
        Tool.Ok("openssl", "x509", "-req", "-in", csr, "-CA", root, "-CAkey", rootKey, "-set_serial", "7", "-days", "20", "-extfile", ext, "-out", intermediate);
        return (intermediate, intKey, root);
    }
}
