using System.Security.Cryptography.X509Certificates;
using System.Text;
using EgressTls.Kubernetes.Reconciliation;
using EgressTls.Pki;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>Leaves are re-issued by the reconciler when they are due, with real certificates and a set clock.</summary>
public sealed class LeafRenewalTests
{
    [Fact]
    public async Task A_leaf_is_reissued_when_now_reaches_not_after_minus_renew_before_and_not_a_second_earlier()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var policy = new RenewalPolicy(TimeSpan.FromDays(10), TimeSpan.FromDays(2));
        var ca = CertificateAuthority.Generate(new CaOptions(), clock, new SecureRandom());
        var material = new PkiCertificateMaterial(ca, null, policy, KeyAlgorithm.EcdsaP256, clock, new SecureRandom());
        await using var h = await ReconcilerHarness.StartAsync(material, options: new ReconcilerOptions { LeafRenewal = policy }, clock: clock);
        h.SeedNamespace("team-a");
        h.SeedPod("team-a", "web-1", "github.com");
        await h.ConvergeAsync();
        var leafName = h.Server.All("secrets", "egress-tls").Select(s => (string)s["metadata"]!["name"]!).Single(n => n.StartsWith("egress-tls-leaf-", StringComparison.Ordinal));
        var first = Leaf(h, leafName);
        var due = new DateTimeOffset(first.NotAfter.ToUniversalTime(), TimeSpan.Zero) - policy.RenewBefore;

        clock.Set(due - TimeSpan.FromSeconds(1));
        var before = await h.Reconciler.PassAsync(resync: true, CancellationToken.None);
        before.Applied.Should().BeEmpty();
        Leaf(h, leafName).Thumbprint.Should().Be(first.Thumbprint);

        clock.Set(due);
        var renewal = await h.Reconciler.PassAsync(resync: true, CancellationToken.None);

        renewal.Applied.Should().Equal($"v1/Secret/egress-tls/{leafName}");
        var second = Leaf(h, leafName);
        second.Thumbprint.Should().NotBe(first.Thumbprint);
        second.NotAfter.Should().BeAfter(first.NotAfter);
        second.Issuer.Should().Be(first.Issuer);
    }

    private static X509Certificate2 Leaf(ReconcilerHarness h, string name) =>
        X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(Convert.FromBase64String((string)h.Server.Find("secrets", "egress-tls", name)!["data"]!["tls.crt"]!)));
}
