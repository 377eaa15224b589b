using System.Security.Cryptography.X509Certificates;
using System.Text;
using EgressTls.Kubernetes;
using EgressTls.Pki;
using EgressTls.Testing;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes.Tests;

/// <summary>The CA store, the PKI and the applier together, against the stand-in.</summary>
public sealed class PkiIntegrationTests : IAsyncLifetime
{
    private StandInApiServer server = null!;

    public async Task InitializeAsync() => server = await StandInApiServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    private async Task<(DesiredStateApplier Applier, PkiCertificateMaterial Material)> StartReplicaAsync()
    {
        var client = KubernetesClientFactory.ForHost(server.Url);
        var pipeline = new ApiCallPipeline();
        var store = new CaSecretStore(client, new CaStoreOptions(), new PkiCaGenerator(new CaOptions(), TimeProvider.System, new SecureRandom()), pipeline);
        var stored = await store.LoadOrCreateAsync(CancellationToken.None);
        var material = PkiCertificateMaterial.FromStored(stored!, null, RenewalPolicy.Default, KeyAlgorithm.EcdsaP256, TimeProvider.System, new SecureRandom());
        return (new DesiredStateApplier(client, new ApplierOptions(), material, pipeline), material);
    }

    private X509Certificate2 StoredCertificate(string ns, string name, string key = "tls.crt") =>
        X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(Convert.FromBase64String((string)server.Find("secrets", ns, name)!["data"]![key]!)));

    [Fact]
    public async Task The_leaf_secret_holds_a_certificate_for_the_names_signed_by_the_stored_ca()
    {
        var (applier, _) = await StartReplicaAsync();

        await applier.ApplyAsync([Objects.LeafSecret()], CancellationToken.None);

        using var ca = StoredCertificate("egress-tls", "egress-tls-ca");
        using var leaf = StoredCertificate("egress-tls", "egress-tls-leaf-abc");
        leaf.Issuer.Should().Be(ca.Subject);
        leaf.MatchesHostname("api.github.com").Should().BeTrue();
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.Build(leaf).Should().BeTrue();
    }

    [Fact]
    public async Task The_trust_bundle_carries_the_stored_ca()
    {
        var (applier, _) = await StartReplicaAsync();

        await applier.ApplyAsync([Objects.TrustBundle()], CancellationToken.None);

        using var ca = StoredCertificate("egress-tls", "egress-tls-ca");
        var bundle = server.Find("configmaps", "team-a", "egress-tls-trust-bundle")!;
        using var fromBundle = X509Certificate2.CreateFromPem((string)bundle["data"]!["ca.crt"]!);
        fromBundle.Thumbprint.Should().Be(ca.Thumbprint);
    }

    [Fact]
    public async Task A_restarted_replica_keeps_the_ca_and_the_objects_and_issues_nothing()
    {
        var (first, _) = await StartReplicaAsync();
        await first.ApplyAsync(Objects.Profile(), CancellationToken.None);
        var leafBefore = server.Find("secrets", "egress-tls", "egress-tls-leaf-abc")!.ToJsonString();
        server.ClearLog();

        var (restarted, material) = await StartReplicaAsync();
        await restarted.ApplyAsync(Objects.Profile(), CancellationToken.None);

        server.RequestLog.Should().NotContain(e => e.IsWrite);
        material.CachedLeaves.Should().Be(0);
        server.Find("secrets", "egress-tls", "egress-tls-leaf-abc")!.ToJsonString().Should().Be(leafBefore);
    }
}
