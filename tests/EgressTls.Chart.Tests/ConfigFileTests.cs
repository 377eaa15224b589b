using System.Text.Json.Nodes;

namespace EgressTls.Chart.Tests;

public sealed class ConfigFileTests
{
    private static readonly RenderedChart Default = Helm.Template();

    [Fact]
    public void Config_has_exactly_the_sections_of_the_serve_config_contract()
    {
        Default.Config.Select(p => p.Key).Should().BeEquivalentTo([
            "namespace", "server", "cilium", "ca", "leaf", "publicRoots", "trustBundle", "interceptGroups", "flux",
            "admission", "reconciler", "servingCertificate", "excludedNamespaces", "logLevel",
        ]);
        Default.Config["server"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(
            ["port", "certFile", "keyFile", "metricsPort", "maxRequestBodyBytes", "shutdownDelay", "shutdownTimeout"]);
        Default.Config["cilium"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(
            ["version", "secretsMode", "envoySecretsNamespace", "policySecretsNamespace", "clusterwideEnvoyConfig"]);
        Default.Config["ca"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(
            ["source", "secretName", "importSecretName", "keyAlgorithm", "duration", "renewBefore", "rotation", "certManager"]);
        Default.Config["ca"]!["rotation"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(["propagation", "checkInterval"]);
        Default.Config["servingCertificate"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(
            ["mode", "secretName", "serviceName", "webhookConfigurationName", "duration", "renewBefore"]);
        Default.Config["reconciler"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(["enabled", "resyncPeriod", "garbageCollectionGracePeriod", "leaderElection"]);
        Default.Config["reconciler"]!["leaderElection"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo(
            ["enabled", "leaseName", "leaseDuration", "renewDeadline", "retryPeriod"]);
    }

    [Fact]
    public void Default_config_carries_the_chart_defaults_with_json_types()
    {
        var expected = JsonNode.Parse("""
            {"port": 8443, "certFile": "", "keyFile": "", "metricsPort": 9090, "maxRequestBodyBytes": 3145728,
             "shutdownDelay": "5s", "shutdownTimeout": "10s"}
            """);
        JsonNode.DeepEquals(Default.Config["server"], expected).Should().BeTrue(Default.Config["server"]!.ToJsonString());
        ((string?)Default.Config["namespace"]).Should().Be(Helm.ReleaseNamespace);
        ((string?)Default.Config["cilium"]!["version"]).Should().Be("1.17");
        ((string?)Default.Config["cilium"]!["secretsMode"]).Should().Be("auto");
        ((bool)Default.Config["cilium"]!["clusterwideEnvoyConfig"]!).Should().BeFalse();
        ((string?)Default.Config["leaf"]!["duration"]).Should().Be("8760h");
        ((string?)Default.Config["leaf"]!["renewBefore"]).Should().Be("720h");
        Default.Config["interceptGroups"]!.AsArray().Should().BeEmpty("groups are disabled by default");
        ((bool)Default.Config["flux"]!["enabled"]!).Should().BeTrue();
        ((string?)Default.Config["flux"]!["notificationControllerSelector"]!["app"]).Should().Be("notification-controller");
        ((string?)Default.Config["admission"]!["applyTimeout"]).Should().Be("4s");
    }

    [Fact]
    public void Serving_certificate_names_are_those_of_the_rendered_service_and_webhook_configuration()
    {
        var serving = Default.Config["servingCertificate"]!;
        ((string?)serving["serviceName"]).Should().Be((string?)Default.Single("Service")["metadata"]!["name"]);
        ((string?)serving["webhookConfigurationName"]).Should().Be((string?)Default.WebhookConfiguration["metadata"]!["name"]);
        ((string?)serving["mode"]).Should().Be("self-managed");
    }

    [Fact]
    public void Excluded_namespaces_always_include_kube_system_and_the_release_namespace()
    {
        var chart = Helm.Template("--set", "excludedNamespaces={tenant-infra}");
        chart.Config["excludedNamespaces"]!.AsArray().Select(n => (string)n!).Should().BeEquivalentTo(["kube-system", Helm.ReleaseNamespace, "tenant-infra"]);
    }

    [Fact]
    public void Enabled_intercept_groups_are_rendered_with_their_hosts_and_namespace_selectors()
    {
        var groups = Helm.Template("-f", "ci/intercept-groups-values.yaml").Config["interceptGroups"]!.AsArray()
            .ToDictionary(g => (string)g!["name"]!, g => g!.AsObject());
        groups.Keys.Should().BeEquivalentTo(["aws", "github"], "google is disabled");
        groups["github"]["hosts"]!.AsArray().Select(h => (string)h!).Should().Equal("github.com", "*.github.com");
        ((string?)groups["github"]["namespaceSelector"]!["matchLabels"]!["team"]).Should().Be("platform");
        groups["aws"]["hosts"]!.AsArray().Select(h => (string)h!).Should().Equal("*.amazonaws.com");
        ((string?)groups["aws"]["namespaceSelector"]!["matchLabels"]!["cloud"]).Should().Be("aws");
        groups.Values.Should().AllSatisfy(g => g.Select(p => p.Key).Should().BeEquivalentTo(["name", "hosts", "namespaceSelector"]));
    }

    [Fact]
    public void Cilium_and_ca_values_reach_the_config()
    {
        var inline = Helm.Template("-f", "ci/inline-clusterwide-values.yaml").Config["cilium"]!;
        ((string?)inline["secretsMode"]).Should().Be("inline");
        ((string?)inline["version"]).Should().Be("1.16");
        ((string?)inline["policySecretsNamespace"]).Should().Be("cilium-policy-secrets");
        ((bool)inline["clusterwideEnvoyConfig"]!).Should().BeTrue();

        var certManager = Helm.Template("-f", "ci/cert-manager-values.yaml").Config;
        ((string?)certManager["ca"]!["source"]).Should().Be("cert-manager");
        ((string?)certManager["ca"]!["certManager"]!["issuerName"]).Should().Be("internal-ca");
        ((string?)certManager["ca"]!["certManager"]!["issuerKind"]).Should().Be("ClusterIssuer");
        ((string?)certManager["servingCertificate"]!["mode"]).Should().Be("cert-manager");
    }
}
