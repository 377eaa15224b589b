using System.Text.Json.Nodes;

namespace EgressTls.Chart.Tests;

public sealed class WebhookConfigurationTests
{
    private static readonly RenderedChart Default = Helm.Template();

    public static TheoryData<string, string> Configurations()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, _) in Helm.AllConfigurations())
        {
            data.Add(name, name == "default values" ? "" : name);
        }

        return data;
    }

    private static RenderedChart Render(string valuesFile) => valuesFile.Length == 0 ? Default : Helm.Template("-f", $"ci/{valuesFile}");

    /// <summary>Names of the webhooks of <paramref name="chart"/> for <paramref name="resource"/> that a
    /// <paramref name="operation"/> of an object with these labels in a namespace with these labels reaches.</summary>
    private static List<string> Reached(RenderedChart chart, string resource, string operation, string @namespace,
        Dictionary<string, string> namespaceLabels, Dictionary<string, string> objectLabels)
    {
        var nsLabels = new Dictionary<string, string>(namespaceLabels) { ["kubernetes.io/metadata.name"] = @namespace };
        return chart.Webhooks
            .Where(w => w["rules"]!.AsArray().Any(r =>
                r!["resources"]!.AsArray().Any(x => (string)x! == resource) &&
                r["operations"]!.AsArray().Any(x => (string)x! == operation)))
            .Where(w => LabelSelector.Matches(w["namespaceSelector"], nsLabels) && LabelSelector.Matches(w["objectSelector"], objectLabels))
            .Select(w => (string)w["name"]!)
            .ToList();
    }

    private static readonly Dictionary<string, string> None = [];
    private static readonly Dictionary<string, string> Enabled = new() { ["egress-tls.io/enabled"] = "true" };
    private static readonly Dictionary<string, string> OptedOut = new() { ["egress-tls.io/enabled"] = "false" };

    [Theory]
    [InlineData("pods", "CREATE")]
    [InlineData("providers", "CREATE")]
    [InlineData("providers", "UPDATE")]
    public void An_object_reaches_exactly_one_webhook_when_it_or_its_namespace_opts_in(string resource, string operation)
    {
        Reached(Default, resource, operation, "shop", Enabled, None).Should().ContainSingle().Which.Should().StartWith("namespace.");
        Reached(Default, resource, operation, "shop", None, Enabled).Should().ContainSingle().Which.Should().StartWith("object.");
        Reached(Default, resource, operation, "shop", OptedOut, Enabled).Should().ContainSingle().Which.Should().StartWith("object.");
        Reached(Default, resource, operation, "shop", Enabled, Enabled).Should().ContainSingle("the two webhooks' namespace selectors are disjoint");
        Reached(Default, resource, operation, "shop", Enabled, new() { ["app"] = "web" }).Should().ContainSingle();
    }

    [Theory]
    [InlineData("pods", "CREATE")]
    [InlineData("providers", "UPDATE")]
    public void Unrelated_and_opted_out_objects_never_reach_the_webhook(string resource, string operation)
    {
        Reached(Default, resource, operation, "shop", None, None).Should().BeEmpty();
        Reached(Default, resource, operation, "shop", None, new() { ["app"] = "web" }).Should().BeEmpty();
        Reached(Default, resource, operation, "shop", Enabled, OptedOut).Should().BeEmpty("a pod opts out of its namespace's opt-in");
    }

    [Theory]
    [InlineData("kube-system")]
    [InlineData(Helm.ReleaseNamespace)]
    [InlineData("kube-public")]
    [InlineData("kube-node-lease")]
    public void Excluded_namespaces_never_reach_the_webhook_even_when_labelled(string @namespace)
    {
        foreach (var (resource, operation) in new[] { ("pods", "CREATE"), ("providers", "CREATE") })
        {
            Reached(Default, resource, operation, @namespace, Enabled, None).Should().BeEmpty();
            Reached(Default, resource, operation, @namespace, None, Enabled).Should().BeEmpty();
            Reached(Default, resource, operation, @namespace, Enabled, Enabled).Should().BeEmpty();
        }
    }

    [Fact]
    public void A_custom_release_namespace_is_excluded_too()
    {
        var result = Helm.Run("template", Helm.ReleaseName, Repository.Chart, "--namespace", "security");
        result.ExitCode.Should().Be(0, result.Describe());
        var chart = new RenderedChart(result.StandardOutput);
        Reached(chart, "pods", "CREATE", "security", Enabled, Enabled).Should().BeEmpty();
        Reached(chart, "pods", "CREATE", "egress-tls", Enabled, None).Should().ContainSingle();
    }

    [Fact]
    public void Rules_cover_pod_creation_and_provider_creation_and_update_in_both_served_versions()
    {
        var rules = Default.Webhooks.SelectMany(w => w["rules"]!.AsArray()).Select(r => r!.AsObject()).ToList();
        var pods = rules.Where(r => r["resources"]!.AsArray().Any(x => (string)x! == "pods")).ToList();
        pods.Should().HaveCount(2).And.AllSatisfy(r =>
        {
            r["apiGroups"]!.AsArray().Select(x => (string)x!).Should().Equal("");
            r["operations"]!.AsArray().Select(x => (string)x!).Should().Equal("CREATE");
        });
        var providers = rules.Where(r => r["resources"]!.AsArray().Any(x => (string)x! == "providers")).ToList();
        providers.Should().HaveCount(2).And.AllSatisfy(r =>
        {
            r["apiGroups"]!.AsArray().Select(x => (string)x!).Should().Equal("notification.toolkit.fluxcd.io");
            r["apiVersions"]!.AsArray().Select(x => (string)x!).Should().BeEquivalentTo(["v1beta2", "v1beta3"]);
            r["operations"]!.AsArray().Select(x => (string)x!).Should().BeEquivalentTo(["CREATE", "UPDATE"]);
        });
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_webhook_is_dry_run_safe_bounded_reinvoked_and_calls_mutate_over_v1(string name, string valuesFile)
    {
        var chart = Render(valuesFile);
        var failurePolicy = valuesFile == "ignore-single-replica-values.yaml" ? "Ignore" : "Fail";
        var timeout = valuesFile == "ignore-single-replica-values.yaml" ? 5 : 10;
        chart.Webhooks.Should().NotBeEmpty(name).And.AllSatisfy(w =>
        {
            ((string?)w["sideEffects"]).Should().Be("NoneOnDryRun");
            ((long)w["timeoutSeconds"]!).Should().Be(timeout);
            ((string?)w["reinvocationPolicy"]).Should().Be("IfNeeded");
            ((string?)w["matchPolicy"]).Should().Be("Equivalent");
            ((string?)w["failurePolicy"]).Should().Be(failurePolicy);
            w["admissionReviewVersions"]!.AsArray().Select(x => (string)x!).Should().Equal("v1");
            var service = w["clientConfig"]!["service"]!;
            ((string?)service["path"]).Should().Be("/mutate");
            ((long)service["port"]!).Should().Be(443);
            ((string?)service["name"]).Should().Be((string?)chart.Single("Service")["metadata"]!["name"]);
            ((string?)service["namespace"]).Should().Be(Helm.ReleaseNamespace);
        });
        chart.Webhooks.Select(w => (string)w["name"]!).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void Default_failure_policy_is_fail()
    {
        Default.Webhooks.Should().AllSatisfy(w => ((string?)w["failurePolicy"]).Should().Be("Fail"));
    }

    [Fact]
    public void Without_flux_there_is_no_provider_webhook_nor_provider_access()
    {
        var chart = Helm.Template("--set", "flux.enabled=false");
        chart.Webhooks.Select(w => (string)w["name"]!).Should().BeEquivalentTo(["namespace.pods.egress-tls.io", "object.pods.egress-tls.io"]);
        chart.Text.Should().NotContain("notification.toolkit.fluxcd.io");
    }
}
