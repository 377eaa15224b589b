using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;
using EgressTls.Testing;

namespace EgressTls.Kubernetes.Tests;

public sealed class CiliumDetectionTests
{
    private static readonly CiliumTarget Configured = new() { Version = new Version(1, 17), SecretsMode = SecretsMode.Sds };

    [Theory]
    [InlineData("quay.io/cilium/cilium:v1.17.4@sha256:0123", "1.17")]
    [InlineData("quay.io/cilium/cilium:v1.16.10", "1.16")]
    [InlineData("registry.local:5000/cilium/cilium:1.18.0-rc.1", "1.18")]
    [InlineData("quay.io/cilium/cilium@sha256:0123", null)]
    [InlineData("registry.local:5000/cilium/cilium", null)]
    [InlineData("quay.io/cilium/cilium:latest", null)]
    [InlineData(null, null)]
    public void Image_tag_gives_the_minor_version(string? image, string? expected) =>
        CiliumConfigInterpreter.ParseImageVersion(image)?.ToString().Should().Be(expected);

    [Fact]
    public void Sds_example_a_new_1_18_install()
    {
        // As dumped from a 1.18.1 cluster: all three keys set (cilium-facts 2.1).
        var config = new Dictionary<string, string>
        {
            ["enable-policy-secrets-sync"] = "true",
            ["policy-secrets-only-from-secrets-namespace"] = "true",
            ["policy-secrets-namespace"] = "cilium-secrets",
            ["enable-envoy-config"] = "true",
            ["envoy-secrets-namespace"] = "cilium-secrets",
        };

        var result = CiliumConfigInterpreter.Interpret(Configured, true, config, "quay.io/cilium/cilium:v1.18.1");

        result.Target.SecretsMode.Should().Be(SecretsMode.Sds);
        result.Target.Version.Should().Be(new Version(1, 18));
        result.Target.PolicySecretsNamespace.Should().Be("cilium-secrets");
        result.Notes.Should().NotContain(n => n.Contains("enable-envoy-config"));
    }

    [Fact]
    public void Inline_example_a_1_16_cluster_without_the_1_17_keys()
    {
        var config = new Dictionary<string, string> { ["enable-envoy-config"] = "true", ["envoy-secrets-namespace"] = "envoy-secrets" };

        var result = CiliumConfigInterpreter.Interpret(Configured, true, config, "quay.io/cilium/cilium:v1.16.3");

        result.Target.SecretsMode.Should().Be(SecretsMode.Inline);
        result.Target.EnvoySecretsNamespace.Should().Be("envoy-secrets");
        result.Target.Version.Should().Be(new Version(1, 16));
    }

    [Fact]
    public void Inline_example_an_upgraded_1_17_cluster_with_sync_off()
    {
        var config = new Dictionary<string, string>
        {
            ["enable-policy-secrets-sync"] = "false",
            ["policy-secrets-namespace"] = "tls-secrets",
            ["enable-envoy-config"] = "false",
        };

        var result = CiliumConfigInterpreter.Interpret(Configured, true, config, null);

        result.Target.SecretsMode.Should().Be(SecretsMode.Inline);
        result.Target.PolicySecretsNamespace.Should().Be("tls-secrets");
        result.Target.Version.Should().Be(new Version(1, 17));
        result.Notes.Should().Contain(n => n.Contains("version not detected")).And.Contain(n => n.Contains("enable-envoy-config"));
    }

    [Fact]
    public void Unreadable_config_falls_back_to_the_default_of_the_version()
    {
        CiliumConfigInterpreter.Interpret(Configured with { Version = new Version(1, 16) }, true, null, null).Target.SecretsMode.Should().Be(SecretsMode.Inline);
        CiliumConfigInterpreter.Interpret(Configured, true, null, null).Target.SecretsMode.Should().Be(SecretsMode.Sds);
    }

    [Fact]
    public void An_explicit_secrets_mode_is_kept()
    {
        var config = new Dictionary<string, string> { ["enable-policy-secrets-sync"] = "false" };

        CiliumConfigInterpreter.Interpret(Configured, false, config, null).Target.SecretsMode.Should().Be(SecretsMode.Sds);
    }

    [Fact]
    public async Task Detector_reads_exactly_the_config_map_and_the_daemonset()
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
            ["apiVersion"] = "apps/v1",
            ["kind"] = "DaemonSet",
            ["metadata"] = new JsonObject { ["name"] = "cilium", ["namespace"] = "kube-system" },
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject(),
                ["template"] = new JsonObject
                {
                    ["spec"] = new JsonObject
                    {
                        ["containers"] = new JsonArray(new JsonObject { ["name"] = "cilium-agent", ["image"] = "quay.io/cilium/cilium:v1.15.6" }),
                    },
                },
            },
        });

        var detection = await new CiliumDetector(KubernetesClientFactory.ForHost(server.Url), new ApiCallPipeline())
            .DetectAsync(Configured, true, CancellationToken.None);

        detection.Target.SecretsMode.Should().Be(SecretsMode.Inline);
        detection.Target.Version.Should().Be(new Version(1, 15));
        server.RequestLog.Select(e => (e.Verb, e.Resource, e.Namespace, e.Name)).Should().BeEquivalentTo(
            [("get", "configmaps", "kube-system", "cilium-config"), ("get", "daemonsets", "kube-system", "cilium")]);
    }

    [Fact]
    public async Task Detector_falls_back_when_nothing_is_readable()
    {
        await using var server = await StandInApiServer.StartAsync();

        var detection = await new CiliumDetector(KubernetesClientFactory.ForHost(server.Url), new ApiCallPipeline())
            .DetectAsync(Configured, true, CancellationToken.None);

        detection.Target.Should().Be(Configured);
        detection.Notes.Should().Contain(n => n.Contains("not readable"));
    }
}
