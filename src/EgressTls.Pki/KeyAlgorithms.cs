using System.Collections.Immutable;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace EgressTls.Pki;

/// <summary>Parsing, naming and key generation for <see cref="KeyAlgorithm"/>.</summary>
public static class KeyAlgorithms
{
    private static readonly ImmutableArray<(string Name, KeyAlgorithm Algorithm)> Forms =
    [
        ("ecdsa-p256", KeyAlgorithm.EcdsaP256),
        ("ecdsa-p384", KeyAlgorithm.EcdsaP384),
        ("rsa-2048", KeyAlgorithm.Rsa2048),
        ("rsa-3072", KeyAlgorithm.Rsa3072),
        ("rsa-4096", KeyAlgorithm.Rsa4096),
    ];

    /// <summary>The configuration strings accepted by <see cref="TryParse"/>, in documentation order.</summary>
    public static ImmutableArray<string> AcceptedForms { get; } = [.. Forms.Select(f => f.Name)];

    /// <summary>
    /// Parses a configuration string (case-insensitive, surrounding blanks ignored). On failure
    /// <paramref name="error"/> quotes the value and names every accepted form.
    /// </summary>
    public static bool TryParse(string? value, out KeyAlgorithm algorithm, out string? error)
    {
        var trimmed = value?.Trim() ?? "";
        foreach (var (name, alg) in Forms)
        {
            if (string.Equals(name, trimmed, StringComparison.OrdinalIgnoreCase))
            {
                algorithm = alg;
                error = null;
                return true;
            }
        }

        algorithm = default;
        error = $"\"{value}\" is not a key algorithm; expected one of {string.Join(", ", AcceptedForms)}";
        return false;
    }

    /// <summary>The canonical configuration string of <paramref name="algorithm"/> (e.g. <c>ecdsa-p256</c>).</summary>
    public static string Name(this KeyAlgorithm algorithm) =>
        Forms.First(f => f.Algorithm == algorithm).Name;

    /// <summary>True for the RSA algorithms (leaves then also get keyEncipherment, RFC 5280 4.2.1.3).</summary>
    public static bool IsRsa(this KeyAlgorithm algorithm) =>
        algorithm is KeyAlgorithm.Rsa2048 or KeyAlgorithm.Rsa3072 or KeyAlgorithm.Rsa4096;

    /// <summary>
    /// Generates a fresh key pair. EC keys carry the named-curve OID (never explicit parameters),
    /// which is what TLS stacks and RFC 5480 expect. All randomness comes from <paramref name="random"/>.
    /// </summary>
    public static AsymmetricCipherKeyPair GenerateKeyPair(this KeyAlgorithm algorithm, SecureRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        switch (algorithm)
        {
            case KeyAlgorithm.EcdsaP256:
            case KeyAlgorithm.EcdsaP384:
                var ec = new ECKeyPairGenerator("EC");
                ec.Init(new ECKeyGenerationParameters(
                    algorithm == KeyAlgorithm.EcdsaP256 ? SecObjectIdentifiers.SecP256r1 : SecObjectIdentifiers.SecP384r1,
                    random));
                return ec.GenerateKeyPair();
            case KeyAlgorithm.Rsa2048:
            case KeyAlgorithm.Rsa3072:
            case KeyAlgorithm.Rsa4096:
                var bits = algorithm switch { KeyAlgorithm.Rsa2048 => 2048, KeyAlgorithm.Rsa3072 => 3072, _ => 4096 };
                var rsa = new RsaKeyPairGenerator();
                rsa.Init(new RsaKeyGenerationParameters(BigInteger.ValueOf(65537), random, bits, 100));
                return rsa.GenerateKeyPair();
            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown key algorithm");
        }
    }
}
