using Org.BouncyCastle.Crypto.Parameters;
using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

public sealed class KeyAlgorithmsTests
{
    [Theory]
    [InlineData("ecdsa-p256", KeyAlgorithm.EcdsaP256)]
    [InlineData("ecdsa-p384", KeyAlgorithm.EcdsaP384)]
    [InlineData("rsa-2048", KeyAlgorithm.Rsa2048)]
    [InlineData("rsa-3072", KeyAlgorithm.Rsa3072)]
    [InlineData(" RSA-4096 ", KeyAlgorithm.Rsa4096)]
    public void Parses_every_accepted_form(string text, KeyAlgorithm expected)
    {
        KeyAlgorithms.TryParse(text, out var alg, out var error).Should().BeTrue();
        alg.Should().Be(expected);
        error.Should().BeNull();
        KeyAlgorithms.Name(alg).Should().Be(text.Trim().ToLowerInvariant());
    }

    [Theory]
    [InlineData("ecdsa")]
    [InlineData("p256")]
    [InlineData("rsa-1024")]
    [InlineData("")]
    [InlineData(null)]
    public void Rejects_other_forms_naming_the_accepted_ones(string? text)
    {
        KeyAlgorithms.TryParse(text, out _, out var error).Should().BeFalse();
        error.Should().Be($"\"{text}\" is not a key algorithm; expected one of ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096");
    }

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256, 256)]
    [InlineData(KeyAlgorithm.EcdsaP384, 384)]
    public void Ec_keys_are_on_the_named_curve(KeyAlgorithm alg, int bits)
    {
        var keys = alg.GenerateKeyPair(Randomness.Seeded(3));
        var pub = (ECPublicKeyParameters)keys.Public;
        pub.Parameters.Curve.FieldSize.Should().Be(bits);
        pub.PublicKeyParamSet.Should().NotBeNull("the SPKI must carry the named-curve OID, not explicit parameters");
    }

    [Fact]
    public void Rsa_keys_have_the_requested_modulus_size()
    {
        var keys = KeyAlgorithm.Rsa2048.GenerateKeyPair(Randomness.Seeded(4));
        ((RsaKeyParameters)keys.Public).Modulus.BitLength.Should().Be(2048);
    }
}

public sealed class PemTests
{
    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256)]
    [InlineData(KeyAlgorithm.EcdsaP384)]
    [InlineData(KeyAlgorithm.Rsa2048)]
    public void Pkcs8_from_the_key_pair_equals_the_BouncyCastle_encoding(KeyAlgorithm alg)
    {
        var keys = alg.GenerateKeyPair(Randomness.Seeded(8));
        Pem.EncodePrivateKey(keys).Should().Be(Pem.EncodePrivateKey(keys.Private));
    }

    [Fact]
    public void Pem_blocks_are_64_columns_with_lf_line_ends()
    {
        var text = Pem.Encode("TEST", new byte[100]);
        text.Should().StartWith("-----BEGIN TEST-----\n").And.EndWith("-----END TEST-----\n").And.NotContain("\r");
        text.Split('\n')[1].Should().HaveLength(64);
    }
}
