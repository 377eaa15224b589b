using System.Collections.Immutable;

namespace EgressTls.Pki.Tests.Support;

internal static class Fixtures
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    public static CertificateAuthority Ca(KeyAlgorithm alg = KeyAlgorithm.EcdsaP256, TimeProvider? time = null, long seed = 1) =>
        CertificateAuthority.Generate(new CaOptions(alg), time ?? TimeProvider.System, Randomness.Seeded(seed));

    public static LeafRequest Request(params string[] names) => new([.. names]);

    public static ImmutableArray<string> Names(params string[] names) => [.. names];

    public static string PublicRoots => File.Exists("/etc/ssl/certs/ca-certificates.crt")
        ? File.ReadAllText("/etc/ssl/certs/ca-certificates.crt")
        : throw new InvalidOperationException("/etc/ssl/certs/ca-certificates.crt is missing; run tests/run.sh (installs ca-certificates)");
}
