using EgressTls.Core;

namespace EgressTls.Core.Tests.Robustness;

/// <summary>
/// Copies of user Secrets in cilium-secrets are named <c>Naming.Compose(["egress-tls", namespace, secret])</c>
/// (namespace A can never overwrite B's copy). Property: distinct (namespace, secret) pairs never share a name.
/// </summary>
public class CopyNameCollisionTests
{
    [Fact]
    public void Distinct_namespace_and_secret_pairs_never_share_a_copy_name()
    {
        var random = new Random(9);
        var pairs = new HashSet<(string Ns, string Secret)>();
        // Adversarial pairs whose readable parts join alike, plus random ones from a small alphabet (many near-misses).
        foreach (var (ns, secret) in new[] { ("a-b", "c"), ("a", "b-c"), ("a", "b.c"), ("a.b", "c"), ("team-a", "client"), ("team", "a-client") })
        {
            pairs.Add((ns, secret));
        }

        while (pairs.Count < 20000)
        {
            pairs.Add((Word(random, 63, "ab-"), Word(random, 253, "ab-.")));
        }

        var names = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var name = Naming.Compose(["egress-tls", pair.Ns, pair.Secret]);
            name.Length.Should().BeLessThanOrEqualTo(63);
            names.TryAdd(name, pair).Should().BeTrue($"{pair} and {names.GetValueOrDefault(name)} would share the copy {name}");
            Naming.Compose(["egress-tls", pair.Ns, pair.Secret, "ca"]).Should().NotBe(name);
        }
    }

    private static string Word(Random random, int maxLength, string inner)
    {
        var length = random.Next(1, random.Next(2) == 0 ? 6 : maxLength + 1);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = i == 0 || i == length - 1 ? (char)('a' + random.Next(3)) : inner[random.Next(inner.Length)];
        }

        return new string(chars);
    }
}
