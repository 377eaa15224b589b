using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;
using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

public sealed class LeafIssuerTests
{
    private static X509Certificate First(IssuedLeaf leaf) => Pem.DecodeCertificates(leaf.TlsCrt, out _)[0];

    [Fact]
    public void Leaf_has_sans_usages_key_ids_and_a_backdated_validity()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var ca = Fixtures.Ca(time: time);
        var leaf = LeafIssuer.Issue(ca, new LeafRequest(["API.GitHub.com", "*.github.com", "10.1.2.3", "[2001:db8::1]", "api.github.com"], Duration: TimeSpan.FromHours(48)), time, Randomness.Seeded(9));
        var c = First(leaf);

        c.SubjectDN.ToString().Should().Be("CN=api.github.com");
        c.IssuerDN.Equivalent(ca.Certificate.SubjectDN).Should().BeTrue();
        var sans = c.GetSubjectAlternativeNames().Select(s => ((int)s[0], s[1]!.ToString())).ToList();
        sans.Should().Equal((GeneralName.DnsName, "api.github.com"), (GeneralName.DnsName, "*.github.com"), (GeneralName.IPAddress, "10.1.2.3"), (GeneralName.IPAddress, "2001:db8::1"));
        c.GetBasicConstraints().Should().Be(-1);
        c.GetKeyUsage()[0].Should().BeTrue("digitalSignature");
        c.GetKeyUsage()[2].Should().BeFalse("keyEncipherment is for RSA keys only");
        c.GetExtendedKeyUsage().Should().Equal(KeyPurposeID.id_kp_serverAuth);
        c.GetCriticalExtensionOids().Should().BeEquivalentTo(X509Extensions.BasicConstraints.Id, X509Extensions.KeyUsage.Id);
        var aki = AuthorityKeyIdentifier.GetInstance(X509ExtensionUtilities.FromExtensionValue(c.GetExtensionValue(X509Extensions.AuthorityKeyIdentifier)));
        var caSki = SubjectKeyIdentifier.GetInstance(X509ExtensionUtilities.FromExtensionValue(ca.Certificate.GetExtensionValue(X509Extensions.SubjectKeyIdentifier)));
        aki.KeyIdentifier.GetOctets().Should().Equal(caSki.GetKeyIdentifier());
        c.GetExtensionValue(X509Extensions.SubjectKeyIdentifier).Should().NotBeNull();
        c.SerialNumber.SignValue.Should().Be(1);
        c.SerialNumber.BitLength.Should().BeInRange(100, 128);
        c.NotBefore.Should().Be(Fixtures.T0.UtcDateTime.AddMinutes(-5));
        c.NotAfter.Should().Be(Fixtures.T0.UtcDateTime.AddHours(48));
        leaf.NotAfter.Should().Be(Fixtures.T0.AddHours(48));
        leaf.Names.Should().Equal("*.github.com", "10.1.2.3", "2001:db8::1", "api.github.com");
        leaf.CaFingerprint.Should().Be(ca.Fingerprint);
        leaf.SerialNumber.Should().Be(c.SerialNumber.ToString(16));
    }

    [Fact]
    public void Secret_data_is_leaf_and_key_without_ca_crt()
    {
        var ca = Fixtures.Ca();
        var leaf = LeafIssuer.Issue(ca, Fixtures.Request("a.example.test"), TimeProvider.System, Randomness.Seeded(1));
        leaf.SecretData.Keys.Should().Equal("tls.crt", "tls.key"); // Cilium #31761: no ca.crt in terminatingTLS Secrets
        Pem.Blocks(leaf.TlsCrt).Should().ContainSingle("a root CA is never sent in the chain");
        Pem.Blocks(leaf.TlsKey).Select(b => b.Label).Should().Equal("PRIVATE KEY");
    }

    [Fact]
    public void Rsa_leaves_also_allow_key_encipherment()
    {
        var ca = Fixtures.Ca();
        var leaf = LeafIssuer.Issue(ca, new LeafRequest(["rsa.example.test"], KeyAlgorithm.Rsa2048), TimeProvider.System, Randomness.Seeded(1));
        var ku = First(leaf).GetKeyUsage();
        ku[0].Should().BeTrue();
        ku[2].Should().BeTrue();
    }

    [Fact]
    public void Common_name_is_the_first_name_truncated_to_64_characters()
    {
        var longName = string.Join('.', Enumerable.Repeat(new string('a', 40), 3)) + ".example.test";
        var leaf = LeafIssuer.Issue(Fixtures.Ca(), Fixtures.Request(longName), TimeProvider.System, Randomness.Seeded(1));
        var c = First(leaf);
        c.SubjectDN.GetValueList(X509Name.CN).Single().Should().Be(longName[..64]);
        c.GetSubjectAlternativeNames().Single()[1].Should().Be(longName, "the SAN keeps the full name");
    }

    [Fact]
    public void Serials_differ_between_issuances()
    {
        var ca = Fixtures.Ca();
        var random = Randomness.Real();
        var serials = Enumerable.Range(0, 20).Select(_ => LeafIssuer.Issue(ca, Fixtures.Request("x.test"), TimeProvider.System, random).SerialNumber).ToHashSet();
        serials.Should().HaveCount(20);
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("a.*.com")]
    [InlineData("bad..name")]
    public void Invalid_names_are_programming_errors(string name)
    {
        var act = () => LeafIssuer.Issue(Fixtures.Ca(), Fixtures.Request(name), TimeProvider.System, Randomness.Seeded(1));
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Cache_key_ignores_order_case_and_duplicates()
    {
        var ca = Fixtures.Ca();
        LeafCacheKey.For(["B.example.test", "a.example.test", "a.example.test"], ca)
            .Should().Be(LeafCacheKey.For(["a.example.test", "b.example.test"], ca));
        LeafCacheKey.For(["a.example.test"], ca).Should().NotBe(LeafCacheKey.For(["a.example.test"], Fixtures.Ca(seed: 99)));
    }
}
