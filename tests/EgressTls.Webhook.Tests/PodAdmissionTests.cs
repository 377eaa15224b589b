using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core.Patching;
using EgressTls.Kubernetes;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Rendering;
using EgressTls.Webhook.Tests.Support;

namespace EgressTls.Webhook.Tests;

/// <summary>Pods through /mutate with the real core: patch, dry-run, apply failures, idempotency.</summary>
public sealed class PodAdmissionTests
{
    private static JsonObject Intercept(string hosts = "github.com, *.github.com") => new() { ["egress-tls.io/intercept"] = hosts };

    [Fact]
    public async Task An_intercepting_pod_gets_a_patch_and_its_objects_are_applied_once()
    {
        var cluster = new FakeCluster();
        await using var server = await ClusterModeTests.StartAsync(cluster, TimeSpan.FromSeconds(4));
        var review = Reviews.Pod("uid-mutate", Intercept());

        var response = await ClusterModeTests.PostAsync(server, review);

        response["allowed"]!.GetValue<bool>().Should().BeTrue();
        response["patchType"]!.GetValue<string>().Should().Be("JSONPatch");
        var patched = ApplyPatch(review, response);
        patched["metadata"]!["labels"]!["egress-tls.io/profile"].Should().NotBeNull();
        patched["spec"]!["containers"]![0]!["env"]!.AsArray().Select(e => (string)e!["name"]!).Should().Contain("SSL_CERT_FILE");
        cluster.Applied.Should().ContainSingle().Which.Select(o => o.Kind).Should().Contain("CiliumNetworkPolicy");
        response["warnings"]!.AsArray().Should().OnlyContain(w => ((string)w!).Length <= 120);
        var line = server.Logs.Decisions("uid-mutate").Should().ContainSingle().Subject;
        LogCollector.Scalar(line, "Decision").Should().Be("Mutated");
        int.Parse(LogCollector.Scalar(line, "PatchOps")!, System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task A_dry_run_gets_the_same_answer_and_applies_nothing()
    {
        var cluster = new FakeCluster();
        await using var server = await ClusterModeTests.StartAsync(cluster, TimeSpan.FromSeconds(4));

        var real = await ClusterModeTests.PostAsync(server, Reviews.Pod("uid-real", Intercept()));
        cluster.Applied.Clear();
        var dry = await ClusterModeTests.PostAsync(server, Reviews.Pod("uid-dry", Intercept(), dryRun: true));

        dry["patch"]!.GetValue<string>().Should().Be(real["patch"]!.GetValue<string>());
        dry["allowed"]!.GetValue<bool>().Should().BeTrue();
        cluster.Applied.Should().BeEmpty();
    }

    [Fact]
    public async Task Standalone_mutates_without_a_cluster_and_applies_nothing()
    {
        await using var server = await WebhookServer.StartAsync(new WebhookConfig());

        var response = await ClusterModeTests.PostAsync(server, Reviews.Pod("uid-alone", Intercept(), ns: "no-labels-here"));

        response["allowed"]!.GetValue<bool>().Should().BeTrue();
        response["patch"].Should().NotBeNull("standalone assumes the namespace is opted in");
    }

    [Fact]
    public async Task An_env_value_that_is_not_a_string_is_denied_naming_the_field_not_answered_with_500()
    {
        // JAVA_TOOL_OPTIONS is the value egress-tls appends to; a number there reached the patch builder.
        var cluster = new FakeCluster();
        await using var server = await ClusterModeTests.StartAsync(cluster, TimeSpan.FromSeconds(4));
        var review = Reviews.Pod("uid-env-number", Intercept());
        review["request"]!["object"]!["spec"]!["containers"]![0]!["env"] = new JsonArray(new JsonObject { ["name"] = "JAVA_TOOL_OPTIONS", ["value"] = 5 });

        var response = await ClusterModeTests.PostAsync(server, review);

        response["allowed"]!.GetValue<bool>().Should().BeFalse();
        response["status"]!["code"]!.GetValue<int>().Should().Be(403);
        response["status"]!["message"]!.GetValue<string>().Should().Be("spec.containers[0].env[0].value: is Number; expected a string (in YAML, quote it: \"5\")");
        cluster.Applied.Should().BeEmpty();
    }

    [Fact]
    public async Task Invalid_annotations_are_denied_with_403_naming_each_field_and_nothing_is_applied()
    {
        var cluster = new FakeCluster();
        await using var server = await ClusterModeTests.StartAsync(cluster, TimeSpan.FromSeconds(4));
        var annotations = new JsonObject { ["egress-tls.io/intercept"] = "git hub.com, *.*.com", ["egress-tls.io/mtls"] = "10.0.0.1:0 cert=a/b" };

        var response = await ClusterModeTests.PostAsync(server, Reviews.Pod("uid-bad", annotations));

        response["allowed"]!.GetValue<bool>().Should().BeFalse();
        response["status"]!["code"]!.GetValue<int>().Should().Be(403);
        var message = response["status"]!["message"]!.GetValue<string>();
        message.Should().Contain("metadata.annotations[egress-tls.io/intercept]").And.Contain("metadata.annotations[egress-tls.io/mtls]");
        cluster.Applied.Should().BeEmpty();
    }

    [Theory]
    [InlineData("nesting", "(40000 characters): mappings and sequences nest deeper than 256 levels (expected at most 256 levels of nesting)")]
    [InlineData("aliases", ": aliases expand to more than 100000 nodes")]
    public async Task Http_rules_past_a_YAML_limit_are_denied_with_403_naming_the_annotation_and_the_limit(string limit, string expected)
    {
        // Forty kilobytes, well under the API server's limit for annotations; or seven levels of ten aliases.
        var rules = limit == "nesting"
            ? new string('[', 20_000) + new string(']', 20_000)
            : "[&a [{}, {}, {}, {}, {}, {}, {}, {}, {}, {}], " + string.Join(", ", Enumerable.Range(1, 7).Select(i => $"&a{i} [" + string.Join(", ", Enumerable.Repeat(i == 1 ? "*a" : $"*a{i - 1}", 10)) + "]")) + "]";
        await using var server = await WebhookServer.StartAsync(new WebhookConfig());
        var annotations = new JsonObject { ["egress-tls.io/intercept"] = "api.github.com", ["egress-tls.io/intercept-http-rules"] = rules };

        var response = await ClusterModeTests.PostAsync(server, Reviews.Pod("uid-" + limit, annotations));

        response["allowed"]!.GetValue<bool>().Should().BeFalse();
        response["status"]!["code"]!.GetValue<int>().Should().Be(403);
        response["status"]!["message"]!.GetValue<string>().Should().Contain("metadata.annotations[egress-tls.io/intercept-http-rules]: ")
            .And.Contain(expected).And.Contain("; expected a JSON or YAML flow list of objects");
    }

    [Fact]
    public async Task An_apply_failure_denies_with_503_and_the_reason()
    {
        var cluster = new FakeCluster { Apply = (_, _) => throw new ApplyException("CiliumNetworkPolicy team-a/egress-tls-x: forbidden") };
        await using var server = await ClusterModeTests.StartAsync(cluster, TimeSpan.FromSeconds(4));

        var response = await ClusterModeTests.PostAsync(server, Reviews.Pod("uid-fail", Intercept()));

        response["allowed"]!.GetValue<bool>().Should().BeFalse();
        response["status"]!["code"]!.GetValue<int>().Should().Be(503);
        response["status"]!["message"]!.GetValue<string>().Should().Contain("forbidden");
        response.ContainsKey("patch").Should().BeFalse();
    }

    [Fact]
    public async Task An_apply_slower_than_the_budget_denies_within_it()
    {
        var cluster = new FakeCluster { Apply = (_, token) => Task.Delay(Timeout.Infinite, token) };
        await using var server = await ClusterModeTests.StartAsync(cluster, TimeSpan.FromMilliseconds(300));

        var response = await ClusterModeTests.PostAsync(server, Reviews.Pod("uid-timeout", Intercept()));

        response["allowed"]!.GetValue<bool>().Should().BeFalse();
        response["status"]!["message"]!.GetValue<string>().Should().Contain("admission.applyTimeout");
    }

    [Fact]
    public async Task A_pod_the_webhook_already_mutated_gets_no_patch()
    {
        var cluster = new FakeCluster();
        await using var server = await ClusterModeTests.StartAsync(cluster, TimeSpan.FromSeconds(4));
        var first = Reviews.Pod("uid-first", Intercept());
        var patched = ApplyPatch(first, await ClusterModeTests.PostAsync(server, first));
        var again = Reviews.Pod("uid-again", Intercept());
        again["request"]!["object"] = patched;

        var response = await ClusterModeTests.PostAsync(server, again);

        response["allowed"]!.GetValue<bool>().Should().BeTrue();
        response.ContainsKey("patch").Should().BeFalse();
    }

    [Fact]
    public async Task The_mtls_client_certificate_secret_is_read_before_rendering()
    {
        var cluster = new FakeCluster
        {
            Secrets = new Dictionary<string, Core.Rendering.SecretSummary>
            {
                ["tls-client-cert"] = new("tls-client-cert", "kubernetes.io/tls", ImmutableSortedSet.Create("tls.crt", "tls.key")),
            }.ToImmutableDictionary(),
        };
        await using var server = await ClusterModeTests.StartAsync(cluster, TimeSpan.FromSeconds(4));
        var annotations = new JsonObject { ["egress-tls.io/mtls"] = "172.18.0.4:8083 cert=tls-client-cert verify=false" };

        var response = await ClusterModeTests.PostAsync(server, Reviews.Pod("uid-mtls", annotations, ns: "mtls-inject"));

        response["allowed"]!.GetValue<bool>().Should().BeTrue(response.ToJsonString());
        cluster.SecretRequests.Should().ContainSingle().Which.Should().Equal("tls-client-cert");
    }

    [Fact]
    public async Task A_pod_update_is_allowed_unchanged()
    {
        var cluster = new FakeCluster();
        await using var server = await ClusterModeTests.StartAsync(cluster, TimeSpan.FromSeconds(4));

        var response = await ClusterModeTests.PostAsync(server, Reviews.Pod("uid-update", Intercept(), operation: "UPDATE"));

        response["allowed"]!.GetValue<bool>().Should().BeTrue();
        response.ContainsKey("patch").Should().BeFalse();
        cluster.Applied.Should().BeEmpty();
    }

    internal static JsonObject ApplyPatch(JsonObject review, JsonObject response)
    {
        var patch = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(response["patch"]!.GetValue<string>())))!.AsArray();
        var operations = patch.Select(n => new PatchOperation((string)n!["op"]!, (string)n["path"]!, n["value"]?.DeepClone()));
        return (JsonObject)JsonPatch.Apply(review["request"]!["object"], operations)!;
    }
}
