using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Kubernetes.Reconciliation;
using EgressTls.Testing;
using k8s;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>cert-manager mode: the leaf Secret the policy names is a copy of the Secret cert-manager writes.</summary>
public sealed class CertManagerLeafTests
{
    [Fact]
    public async Task A_certificate_cert_manager_renews_reaches_the_leaf_secret_the_policy_names()
    {
        await using var rig = await Rig.StartAsync();
        var (ca, server, client, clock, reconciler) = (rig.Ca, rig.Server, rig.Client, rig.Clock, rig.Reconciler);

        // Play cert-manager: when the Certificate appears, write its Secret (certificate "A").
        var pass = reconciler.PassAsync(true, CancellationToken.None);
        await ReconcilerHarness.WaitUntilAsync(() => server.All("certificates").Count > 0);
        var certificate = server.All("certificates").Single();
        var issuedName = (string)certificate["spec"]!["secretName"]!;
        var leafName = (string)certificate["metadata"]!["name"]!;
        server.Seed(Issued(issuedName, "CERT-A", ca.CertificatePem));
        await pass;
        var leafNamespace = (string)server.All("secrets").First(s => (string?)s["metadata"]!["name"] == leafName)["metadata"]!["namespace"]!;
        string LeafCertificate() => Encoding.UTF8.GetString(Convert.FromBase64String((string)server.Find("secrets", leafNamespace, leafName)!["data"]!["tls.crt"]!));
        LeafCertificate().Should().Be("CERT-A");

        // cert-manager renews: its Secret now holds certificate "B"; the copy follows without waiting for a resync.
        var renewed = k8s.KubernetesJson.Deserialize<k8s.Models.V1Secret>(Issued(issuedName, "CERT-B", ca.CertificatePem).ToJsonString());
        await client.CoreV1.ReplaceNamespacedSecretAsync(renewed, issuedName, "egress-tls");
        using (var budget = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            while (LeafCertificate() != "CERT-B" && !budget.IsCancellationRequested)
            {
                await reconciler.PassAsync(false, CancellationToken.None);
                await Task.Delay(50, CancellationToken.None);
            }
        }

        await reconciler.StopAsync();
        LeafCertificate().Should().Be("CERT-B");
        Encoding.UTF8.GetString(Convert.FromBase64String((string)server.Find("secrets", leafNamespace, leafName)!["data"]!["tls.key"]!)).Should().Be("KEY-CERT-B");
    }

    [Fact]
    public async Task The_certificate_and_the_secret_cert_manager_wrote_go_with_their_leaf()
    {
        await using var rig = await Rig.StartAsync();
        var (ca, server, client, clock, reconciler) = (rig.Ca, rig.Server, rig.Client, rig.Clock, rig.Reconciler);
        var pass = reconciler.PassAsync(true, CancellationToken.None);
        await ReconcilerHarness.WaitUntilAsync(() => server.All("certificates").Count > 0);
        var leafName = (string)server.All("certificates").Single()["metadata"]!["name"]!;
        var issuedName = CertManagerCertificates.IssuedSecretName(leafName);
        server.Seed(Issued(issuedName, "CERT-A", ca.CertificatePem));
        await pass;

        // The pod goes away; a grace period after the first pass without it, its objects are collected, the leaf last.
        var desired = reconciler.LastPass!.Desired;
        try
        {
            await client.CoreV1.DeleteNamespacedPodAsync("web", "team-a");
        }
        catch (System.Text.Json.JsonException)
        {
        }

        using (var seen = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while ((await reconciler.PassAsync(false, CancellationToken.None)).Desired >= desired)
            {
                await Task.Delay(50, seen.Token);
            }
        }

        clock.Advance(TimeSpan.FromMinutes(3));
        using (var budget = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (server.All("secrets").Any(s => (string?)s["metadata"]!["name"] == leafName) && !budget.IsCancellationRequested)
            {
                await reconciler.PassAsync(false, CancellationToken.None);
                await Task.Delay(50, CancellationToken.None);
            }
        }

        await reconciler.StopAsync();
        server.All("secrets").Should().NotContain(s => (string?)s["metadata"]!["name"] == leafName);
        server.All("certificates").Should().BeEmpty();
        server.Find("secrets", "egress-tls", issuedName).Should().BeNull();
    }

    // A reconciler in cert-manager mode over the stand-in API server, with one mutated pod of one profile.
    private sealed class Rig : IAsyncDisposable
    {
        private Rig(CaKeyPair ca, StandInApiServer server, k8s.IKubernetes client, ManualClock clock, IAsyncDisposable namespaces, Reconciler reconciler)
        {
            (Ca, Server, Client, Clock, Namespaces, Reconciler) = (ca, server, client, clock, namespaces, reconciler);
        }

        public CaKeyPair Ca { get; }

        public StandInApiServer Server { get; }

        public k8s.IKubernetes Client { get; }

        public ManualClock Clock { get; }

        public Reconciler Reconciler { get; }

        private IAsyncDisposable Namespaces { get; }

        public static async Task<Rig> StartAsync()
        {
            var ca = new TestCaGenerator().Generate();
            var issuer = new CertManagerIssuer("ClusterIssuer", "internal");
            var material = new CertManagerTrustMaterial(issuer, null, new SecureRandom(), ca.CertificatePem);
            var server = await StandInApiServer.StartAsync();
            var client = KubernetesClientFactory.ForHost(server.Url);
            var pipeline = new ApiCallPipeline(new ApiRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100) });
            var applier = new DesiredStateApplier(client, new ApplierOptions
            {
                LeafSource = LeafSource.CertManager,
                CertManagerIssuer = issuer,
                CertManagerPollInterval = TimeSpan.FromMilliseconds(20),
            }, material, pipeline);
            var clock = new ManualClock(DateTimeOffset.UtcNow);
            var namespaces = Informers.Namespaces(client, timeProvider: clock);
            var reconciler = new Reconciler(client, namespaces, applier, material, pipeline,
                new ReconcilerOptions { LeafRenewal = null, Render = Workloads.Options }, new ReconcilerMetrics(), clock);
            server.Seed(Workloads.Namespace("team-a"));
            server.Seed(Workloads.MutatedPod("team-a", "web", "github.com"));
            await reconciler.StartAsync(CancellationToken.None);
            return new Rig(ca, server, client, clock, namespaces, reconciler);
        }

        public async ValueTask DisposeAsync()
        {
            await Namespaces.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    private static JsonObject Issued(string name, string certificate, string caPem)
    {
        var secret = ApplierTests.Secret("egress-tls", name, ("tls.crt", certificate), ("tls.key", "KEY-" + certificate), ("ca.crt", caPem));
        secret["metadata"]!["labels"] = new JsonObject { [EgressTls.Core.Naming.ManagedByLabel] = EgressTls.Core.Naming.ManagedByValue };
        return secret;
    }
}
