using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace EgressTls.Chart.Tests;

public sealed class DeploymentTests
{
    private static readonly RenderedChart Default = Helm.Template();

    private static JsonObject PodSpec(RenderedChart chart) => chart.Deployment["spec"]!["template"]!["spec"]!.AsObject();

    [Fact]
    public void Pod_security_context_is_restricted_non_root_with_runtime_default_seccomp()
    {
        var expected = JsonNode.Parse("""
            {"runAsNonRoot": true, "runAsUser": 1654, "runAsGroup": 1654, "seccompProfile": {"type": "RuntimeDefault"}}
            """);
        JsonNode.DeepEquals(PodSpec(Default)["securityContext"], expected).Should().BeTrue(PodSpec(Default)["securityContext"]!.ToJsonString());
    }

    [Fact]
    public void Container_security_context_is_read_only_without_privileges_or_capabilities()
    {
        var expected = JsonNode.Parse("""
            {"runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
             "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
            """);
        JsonNode.DeepEquals(Default.Container["securityContext"], expected).Should().BeTrue(Default.Container["securityContext"]!.ToJsonString());
        PodSpec(Default).Should().NotContainKeys(["hostNetwork", "hostPID", "hostIPC"]);
        PodSpec(Default)["volumes"]!.AsArray().Should().AllSatisfy(v => v!.AsObject().Should().NotContainKey("hostPath"));
    }

    [Fact]
    public void The_only_writable_mount_is_an_empty_dir_at_tmp()
    {
        var volumes = PodSpec(Default)["volumes"]!.AsArray().ToDictionary(v => (string)v!["name"]!, v => v!.AsObject());
        var mounts = Default.Container["volumeMounts"]!.AsArray().Select(m => m!.AsObject()).ToList();
        var writable = mounts.Where(m => (bool?)m["readOnly"] != true).ToList();
        writable.Should().ContainSingle();
        ((string?)writable[0]["mountPath"]).Should().Be("/tmp");
        volumes[(string)writable[0]["name"]!].Should().ContainKey("emptyDir");
    }

    [Fact]
    public void Two_replicas_spread_over_nodes_roll_without_losing_an_endpoint()
    {
        var spec = Default.Deployment["spec"]!;
        ((long)spec["replicas"]!).Should().Be(2);
        ((long)spec["strategy"]!["rollingUpdate"]!["maxUnavailable"]!).Should().Be(0);
        var spread = PodSpec(Default)["topologySpreadConstraints"]!.AsArray().Single()!;
        ((string?)spread["topologyKey"]).Should().Be("kubernetes.io/hostname");
        JsonNode.DeepEquals(spread["labelSelector"]!["matchLabels"], spec["selector"]!["matchLabels"]).Should().BeTrue();
    }

    [Fact]
    public void Pod_disruption_budget_keeps_one_replica_of_these_pods()
    {
        var pdb = Default.Single("PodDisruptionBudget");
        ((long)pdb["spec"]!["minAvailable"]!).Should().Be(1);
        JsonNode.DeepEquals(pdb["spec"]!["selector"]!["matchLabels"], Default.Deployment["spec"]!["selector"]!["matchLabels"]).Should().BeTrue();
    }

    [Fact]
    public void A_single_replica_gets_no_disruption_budget_that_would_block_node_drains()
    {
        Helm.Template("-f", "ci/ignore-single-replica-values.yaml").OfKind("PodDisruptionBudget").Should().BeEmpty();
    }

    [Fact]
    public void Probes_call_healthz_and_readyz_on_the_plain_http_metrics_port()
    {
        var ports = Default.Container["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => (long)p!["containerPort"]!);
        ports.Should().BeEquivalentTo(new Dictionary<string, long> { ["https"] = 8443, ["metrics"] = 9090 });
        ((string?)Default.Container["livenessProbe"]!["httpGet"]!["path"]).Should().Be("/healthz");
        ((string?)Default.Container["livenessProbe"]!["httpGet"]!["port"]).Should().Be("metrics");
        ((string?)Default.Container["readinessProbe"]!["httpGet"]!["path"]).Should().Be("/readyz");
        ((string?)Default.Container["readinessProbe"]!["httpGet"]!["port"]).Should().Be("metrics");
        Default.Container["livenessProbe"]!["httpGet"]!.AsObject().Should().NotContainKey("scheme");
    }

    [Fact]
    public void The_kubelet_waits_longer_than_the_drain_delay_and_the_wait_for_requests_in_flight()
    {
        ((long)PodSpec(Default)["terminationGracePeriodSeconds"]!).Should().Be(30);
        ((string?)Default.Config["server"]!["shutdownDelay"]).Should().Be("5s");
        ((string?)Default.Config["server"]!["shutdownTimeout"]).Should().Be("10s");

        var longer = Helm.Template("--set", "server.shutdownDelay=1m30s", "--set", "server.shutdownTimeout=20s", "--set", "terminationGracePeriodSeconds=111");
        ((long)PodSpec(longer)["terminationGracePeriodSeconds"]!).Should().Be(111);
        ((string?)longer.Config["server"]!["shutdownDelay"]).Should().Be("1m30s");

        var tooShort = Helm.TryTemplate("--set", "server.shutdownDelay=1m30s", "--set", "server.shutdownTimeout=20s", "--set", "terminationGracePeriodSeconds=110");
        tooShort.ExitCode.Should().NotBe(0);
        tooShort.StandardError.Should().Contain(
            "terminationGracePeriodSeconds: 110; expected more than server.shutdownDelay + server.shutdownTimeout (1m30s + 20s = 110s)");
        Helm.TryTemplate("--set", "server.shutdownDelay=25s").ExitCode.Should().NotBe(0, "25s + 10s is not less than the default 30s");
        Helm.Template("--set", "server.shutdownDelay=0s").Config["server"]!["shutdownDelay"]!.GetValue<string>().Should().Be("0s");
        // Whole h, m and s only: the chart adds them up for the check above.
        Helm.TryTemplate("--set", "server.shutdownDelay=5sec").StandardError.Should().Contain("/server/shutdownDelay").And.Contain("does not match pattern");
        Helm.TryTemplate("--set", "server.shutdownTimeout=500ms").StandardError.Should().Contain("/server/shutdownTimeout").And.Contain("does not match pattern");
        Helm.TryTemplate("--set", "terminationGracePeriodSeconds=0").StandardError.Should().Contain("/terminationGracePeriodSeconds").And.Contain("minimum");
    }

    [Fact]
    public void Service_maps_443_to_the_https_port_and_exposes_metrics()
    {
        var service = Default.Single("Service");
        var ports = service["spec"]!["ports"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => p!.AsObject());
        ((long)ports["https"]["port"]!).Should().Be(443);
        ((string?)ports["https"]["targetPort"]).Should().Be("https");
        ((long)ports["metrics"]["port"]!).Should().Be(9090);
        JsonNode.DeepEquals(service["spec"]!["selector"], Default.Deployment["spec"]!["selector"]!["matchLabels"]).Should().BeTrue();
    }

    [Fact]
    public void Container_runs_serve_with_the_mounted_config_and_its_namespace_from_the_downward_api()
    {
        Default.Container["args"]!.AsArray().Select(a => (string)a!).Should().Equal("serve", "--config", "/etc/egress-tls/config.json");
        var configMount = Default.Container["volumeMounts"]!.AsArray().Single(m => (string)m!["name"]! == "config")!;
        ((string?)configMount["mountPath"]).Should().Be("/etc/egress-tls");
        var env = Default.Container["env"]!.AsArray().Single(e => (string)e!["name"]! == "POD_NAMESPACE")!;
        ((string?)env["valueFrom"]!["fieldRef"]!["fieldPath"]).Should().Be("metadata.namespace");
    }

    [Fact]
    public void Config_checksum_annotation_is_the_hash_of_the_rendered_config_and_follows_values()
    {
        static string Annotation(RenderedChart chart) =>
            (string)chart.Deployment["spec"]!["template"]!["metadata"]!["annotations"]!["checksum/config"]!;
        var config = ((string)Default.Single("ConfigMap")["data"]!["config.json"]!).TrimEnd('\n');
        Annotation(Default).Should().Be(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(config))));
        Annotation(Helm.Template("--set", "logLevel=Debug")).Should().NotBe(Annotation(Default));
    }

    [Fact]
    public void Image_defaults_to_the_app_version_and_a_digest_wins_over_the_tag()
    {
        ((string?)Default.Container["image"]).Should().Be("egress-tls:0.1.0");
        ((string?)Helm.Template("-f", "ci/ignore-single-replica-values.yaml").Container["image"])
            .Should().Be("registry.example/egress-tls@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    }

    [Fact]
    public void Public_roots_from_a_config_map_are_mounted_where_the_config_file_points()
    {
        var chart = Helm.Template("-f", "ci/intercept-groups-values.yaml");
        var file = (string)chart.Config["publicRoots"]!["file"]!;
        var mount = chart.Container["volumeMounts"]!.AsArray().Single(m => (string)m!["name"]! == "public-roots")!;
        file.Should().Be($"{(string)mount["mountPath"]!}/bundle.pem");
        var volume = PodSpec(chart)["volumes"]!.AsArray().Single(v => (string)v!["name"]! == "public-roots")!;
        ((string?)volume["configMap"]!["name"]).Should().Be("corporate-roots");
        ((string?)Default.Config["publicRoots"]!["file"]).Should().Be("/etc/ssl/certs/ca-certificates.crt");
    }

    [Fact]
    public void Service_monitor_is_optional_and_scrapes_the_metrics_port_of_this_service()
    {
        Default.OfKind("ServiceMonitor").Should().BeEmpty();
        var chart = Helm.Template("-f", "ci/intercept-groups-values.yaml");
        var monitor = chart.Single("ServiceMonitor");
        ((string?)monitor["metadata"]!["labels"]!["release"]).Should().Be("prometheus");
        var endpoint = monitor["spec"]!["endpoints"]!.AsArray().Single()!;
        ((string?)endpoint["port"]).Should().Be("metrics");
        ((string?)endpoint["path"]).Should().Be("/metrics");
        var service = chart.Single("Service");
        LabelSelector.Matches(monitor["spec"]!["selector"], service["metadata"]!["labels"]!.AsObject()
            .ToDictionary(l => l.Key, l => (string)l.Value!)).Should().BeTrue();
    }
}
