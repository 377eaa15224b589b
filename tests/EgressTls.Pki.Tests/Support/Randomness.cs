using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;

namespace EgressTls.Pki.Tests.Support;

internal static class Randomness
{
    /// <summary>A deterministic random source: the same seed yields the same bytes.</summary>
    public static SecureRandom Seeded(long seed) =>
        new(new DigestRandomGenerator(new Org.BouncyCastle.Crypto.Digests.Sha256Digest()).Also(g => g.AddSeedMaterial(seed)));

    public static SecureRandom Real() => new();

    private static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
