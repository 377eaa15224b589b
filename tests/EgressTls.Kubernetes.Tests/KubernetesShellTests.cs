using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;
using EgressTls.Testing;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes.Tests;

public sealed class KubernetesShellTests
{
    [Fact]
    public async Task Start_creates_the_ca_detects_cilium_and_serves_reads_and_writes()
    {
        await using var server = await StandInApiServer.StartAsync();
        server.Seed(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "cilium-config", ["namespace"] = "kube-system" },
            ["data"] = new JsonObject { ["enable-policy-secrets-sync"] = "false", ["enable-envoy-config"] = "true" },
        });
        server.Seed(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = "team-a", ["labels"] = new JsonObject { ["egress-tls.io/enabled"] = "true" } },
        });

        await using var shell = await KubernetesShell.StartAsync(KubernetesClientFactory.ForHost(server.Url), new KubernetesShellOptions(),
            TimeProvider.System, new SecureRandom(), null, CancellationToken.None);
        await shell.Namespaces.WaitForSyncAsync(CancellationToken.None);
        var ns = await shell.Reader.GetNamespaceAsync("team-a", CancellationToken.None);
        await shell.Applier.ApplyAsync(Objects.Profile(), CancellationToken.None);

        shell.Cilium.Target.SecretsMode.Should().Be(SecretsMode.Inline);
        ns.Labels.Should().ContainKey("egress-tls.io/enabled");
        server.Find("secrets", "egress-tls", "egress-tls-ca").Should().NotBeNull();
        server.All("ciliumnetworkpolicies", "team-a").Should().ContainSingle();
        shell.Material!.CachedLeaves.Should().Be(1);
    }
}
