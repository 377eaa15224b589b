using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Kubernetes.ServingCertificate;
using EgressTls.Testing;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes.Tests;

/// <summary>
/// <c>ca.source: cert-manager</c> against the stand-in, with cert-manager simulated: every Certificate egress-tls
/// creates gets the Secret it asks for (tls.crt, tls.key and cert-manager's ca.crt).
/// </summary>
public sealed class CertManagerTrustTests : IAsyncLifetime
{
    private readonly ServingKeyPair issuerCa = ServingCertificateIssuer.CreateCa("internal-ca", DateTimeOffset.UtcNow, TimeSpan.FromDays(30));
    private readonly CancellationTokenSource stop = new();
    private StandInApiServer server = null!;
    private Task certManager = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        server = await StandInApiServer.StartAsync();
        certManager = Task.Run(SimulateCertManagerAsync);
    }

    public async Task DisposeAsync()
    {
        await stop.CancelAsync();
        await certManager;
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Leaves_come_from_cert_manager_without_ca_crt_and_trust_bundles_carry_the_issuers_ca_from_the_issued_secret()
    {
        await using var shell = await StartAsync();
        shell.CertManagerTrust!.AnchorPem.Should().BeNull("nothing has been issued yet");

        await shell.Applier.ApplyAsync([Objects.LeafSecret(), Objects.TrustBundle()], Budget());

        var certificate = server.Find("certificates", "egress-tls", "egress-tls-leaf-abc")!;
        ((string?)certificate["spec"]!["issuerRef"]!["name"]).Should().Be("internal-ca");
        server.Find("secrets", "egress-tls", "egress-tls-leaf-abc")!["data"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo("tls.crt", "tls.key");
        ((string?)server.Find("configmaps", "team-a", "egress-tls-trust-bundle")!["data"]!["ca.crt"]).Should().Contain(Body(issuerCa.CertificatePem));
        shell.Material.Should().BeNull("egress-tls holds no CA in this mode");
        server.Find("secrets", "egress-tls", "egress-tls-ca").Should().BeNull();
    }

    [Fact]
    public async Task After_a_restart_the_issuers_ca_is_read_from_the_first_issued_secret()
    {
        await using (var first = await StartAsync())
        {
            await first.Applier.ApplyAsync([Objects.LeafSecret()], Budget());
        }

        await using var second = await StartAsync();

        second.CertManagerTrust!.AnchorPem.Should().Be(issuerCa.CertificatePem);
    }

    [Fact]
    public async Task A_configured_config_map_provides_the_issuers_ca_before_anything_is_issued()
    {
        server.Seed(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "internal-ca-bundle", ["namespace"] = "egress-tls" },
            ["data"] = new JsonObject { ["ca.crt"] = issuerCa.CertificatePem },
        });

        await using var shell = await StartAsync("internal-ca-bundle");
        await shell.Applier.ApplyAsync([Objects.TrustBundle()], Budget());

        ((string?)server.Find("configmaps", "team-a", "egress-tls-trust-bundle")!["data"]!["ca.crt"]).Should().Contain(Body(issuerCa.CertificatePem));
        server.All("certificates", "egress-tls").Should().BeEmpty();
    }

    private Task<KubernetesShell> StartAsync(string caSecretName = "") =>
        KubernetesShell.StartAsync(KubernetesClientFactory.ForHost(server.Url), new KubernetesShellOptions
        {
            Ca = new CaStoreOptions { Source = CaSource.CertManager },
            DetectCilium = false,
            CertManagerCaSecretName = caSecretName,
            Applier = new ApplierOptions { CertManagerIssuer = new CertManagerIssuer("ClusterIssuer", "internal-ca") },
        }, TimeProvider.System, new SecureRandom(), null, Budget());

    private static string Body(string pem) => pem.Split('\n')[1];

    private static CancellationToken Budget() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    // cert-manager's part: for each Certificate, write spec.secretName with the labels of spec.secretTemplate.
    private async Task SimulateCertManagerAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var certificate in server.All("certificates"))
            {
                var ns = (string)certificate["metadata"]!["namespace"]!;
                var secretName = (string)certificate["spec"]!["secretName"]!;
                if (server.Find("secrets", ns, secretName) is not null)
                {
                    continue;
                }

                var names = certificate["spec"]!["dnsNames"]!.AsArray().Select(n => (string)n!).ToList();
                var leaf = ServingCertificateIssuer.Issue(issuerCa, names, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(7));
                server.Seed(new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Secret",
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = secretName,
                        ["namespace"] = ns,
                        ["labels"] = certificate["spec"]!["secretTemplate"]?["labels"]?.DeepClone(),
                    },
                    ["type"] = "kubernetes.io/tls",
                    ["data"] = new JsonObject
                    {
                        ["tls.crt"] = B64(leaf.CertificatePem),
                        ["tls.key"] = B64(leaf.PrivateKeyPem),
                        ["ca.crt"] = B64(issuerCa.CertificatePem),
                    },
                }, "cert-manager");
            }

            try
            {
                await Task.Delay(25, stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
}
