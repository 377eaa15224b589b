using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509.Extension;
using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

public sealed class CertificateAuthorityTests
{
    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256, "SHA-256withECDSA")]
    [InlineData(KeyAlgorithm.EcdsaP384, "SHA-384withECDSA")]
    [InlineData(KeyAlgorithm.Rsa2048, "SHA-256withRSA")]
    public void Generated_root_has_the_CA_extensions_and_validity(KeyAlgorithm alg, string sigAlg)
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var ca = CertificateAuthority.Generate(new CaOptions(alg, TimeSpan.FromHours(1000)), time, Randomness.Seeded(7));
        var c = ca.Certificate;

        c.SigAlgName.Should().Be(sigAlg);
        c.GetCriticalExtensionOids().Should().BeEquivalentTo(X509Extensions.BasicConstraints.Id, X509Extensions.KeyUsage.Id);
        c.GetBasicConstraints().Should().Be(int.MaxValue, "CA:TRUE without a path length");
        var ku = c.GetKeyUsage();
        ku[5].Should().BeTrue("keyCertSign");
        ku[6].Should().BeTrue("cRLSign");
        ku[0].Should().BeFalse();
        c.GetExtensionValue(X509Extensions.SubjectKeyIdentifier).Should().NotBeNull();
        c.NotBefore.Should().Be(Fixtures.T0.UtcDateTime.AddMinutes(-5));
        c.NotAfter.Should().Be(Fixtures.T0.UtcDateTime.AddHours(1000));
        var keyId = Convert.ToHexStringLower(Org.BouncyCastle.X509.Extension.X509ExtensionUtilities.CreateSubjectKeyIdentifier(c.GetPublicKey()).GetKeyIdentifier()[..4]);
        c.SubjectDN.ToString().Should().Be($"O=egress-tls,CN=egress-tls interception CA 2026-01-15T12:00:00Z {keyId}");
        ca.Issuers.Should().BeEmpty();
        ca.TrustAnchor.Should().BeSameAs(ca.Certificate);
        ca.LeafChain.Should().BeEmpty();
        ca.Fingerprint.Should().MatchRegex("^[0-9a-f]{64}$");
    }

    [Fact]
    public void Generation_is_a_function_of_clock_and_random_source()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = CertificateAuthority.Generate(new CaOptions(), time, Randomness.Seeded(11)).ToSecretData();
        var b = CertificateAuthority.Generate(new CaOptions(), time, Randomness.Seeded(11)).ToSecretData();
        var c = CertificateAuthority.Generate(new CaOptions(), time, Randomness.Seeded(12)).ToSecretData();
        b.Should().Be(a);
        c.TlsKey.Should().NotBe(a.TlsKey);
    }

    [Fact]
    public void Exported_secret_data_round_trips_through_import()
    {
        var ca = Fixtures.Ca();
        var data = ca.ToSecretData();
        data.TlsKey.Should().StartWith("-----BEGIN PRIVATE KEY-----\n");

        var result = CertificateAuthority.Import(data.TlsCrt, data.TlsKey, null, TimeProvider.System);

        result.Errors.Should().BeEmpty();
        result.Succeeded.Should().BeTrue();
        result.Authority!.Fingerprint.Should().Be(ca.Fingerprint);
        result.Authority.ToSecretData().Should().Be(data);
    }

    [Fact]
    public void Long_common_names_are_truncated_to_64_characters()
    {
        var ca = CertificateAuthority.Generate(new CaOptions(CommonName: new string('x', 80)), TimeProvider.System, Randomness.Seeded(2));
        ca.Certificate.SubjectDN.GetValueList(X509Name.CN).Single().Should().HaveLength(64);
    }

    [Fact]
    public void Two_CAs_made_in_the_same_second_have_distinct_subjects()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = CertificateAuthority.Generate(new CaOptions(), time, Randomness.Seeded(1));
        var b = CertificateAuthority.Generate(new CaOptions(), time, Randomness.Seeded(2));

        a.Certificate.SubjectDN.Equivalent(b.Certificate.SubjectDN).Should().BeFalse("issuer lookup by subject must not confuse the old and the new CA of a rotation");
    }
}
