using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes.Reconciliation;
using Xunit.Abstractions;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>The desired-state function, pure, with the real renderer.</summary>
public sealed class DesiredStateTests(ITestOutputHelper output)
{
    private static DesiredStateInput Input(IEnumerable<WorkloadObject> pods, params string[] namespaces) => new(
        namespaces.ToImmutableDictionary(n => n, Workloads.Info, StringComparer.Ordinal), [.. pods], [], []);

    [Fact]
    public void A_mutated_pod_re_renders_to_the_objects_admission_generated()
    {
        var pod = Workloads.MutatedPod("team-a", "web-1", "github.com");
        var again = Renderer.Render(new RenderInput(pod, AdmissionOperation.Create, Workloads.Info("team-a"), ImmutableDictionary<string, SecretSummary>.Empty), Workloads.Options);

        var mutated = again.Should().BeOfType<Mutated>().Subject;
        mutated.Patch.Should().BeEmpty();
        var desired = DesiredState.Compute(Input([Workloads.ToWorkload(pod)], "team-a"), Workloads.Options);
        desired.Objects.Select(ObjectKeys.Of).Should().BeEquivalentTo(mutated.Objects.Select(ObjectKeys.Of));
        desired.Objects.Select(o => o.Kind).Should().Contain(["ConfigMap", "Secret", "CiliumNetworkPolicy"]);
        desired.Retained.Should().BeEmpty();
        desired.Problems.Should().BeEmpty();
    }

    [Fact]
    public void The_trust_bundle_the_reconciler_builds_equals_the_one_admission_generates()
    {
        var pod = Workloads.MutatedPod("team-a", "web-1", "github.com");
        var admission = ((Mutated)Renderer.Render(new RenderInput(pod, AdmissionOperation.Create, Workloads.Info("team-a"), ImmutableDictionary<string, SecretSummary>.Empty), Workloads.Options))
            .Objects.Single(o => o.Kind == "ConfigMap");

        var ours = DesiredState.TrustBundle("team-a", Workloads.Options);

        JsonNode.DeepEquals(ours.Manifest, admission.Manifest).Should().BeTrue();
        ours.Content.Should().Be(admission.Content);
    }

    [Fact]
    public void Ten_thousand_pods_of_three_profiles_in_a_thousand_namespaces_cost_three_thousand_renders()
    {
        string[] hosts = ["github.com", "api.stripe.com", "registry.npmjs.org"];
        var templates = hosts.Select((h, i) => Workloads.MutatedPod("ns-0", $"p{i}", h)).ToArray();
        var namespaces = Enumerable.Range(0, 1000).Select(i => $"ns-{i}").ToArray();
        var pods = new List<WorkloadObject>();
        for (var i = 0; i < 10_000; i++)
        {
            var ns = namespaces[i % 1000];
            var template = templates[(i / 1000) % 3];
            var pod = template.DeepClone().AsObject();
            pod["metadata"]!["namespace"] = ns;
            pod["metadata"]!["name"] = $"pod-{i}";
            pods.Add(Workloads.ToWorkload(pod));
        }

        var renders = 0;
        var stopwatch = Stopwatch.StartNew();
        var memo = new System.Collections.Concurrent.ConcurrentDictionary<string, RenderResult>();
        var desired = DesiredState.Compute(Input(pods, namespaces), Workloads.Options, (i, o) => { renders++; return Renderer.Render(i, o); }, memo);
        stopwatch.Stop();

        renders.Should().Be(3000);
        desired.Renders.Should().Be(3000);
        // Per namespace: 3 policies + 1 trust bundle; shared: 3 leaves + the public roots.
        desired.Objects.Count(o => o.Kind == "CiliumNetworkPolicy").Should().Be(3000);
        desired.Objects.Count(o => o.Kind == "ConfigMap").Should().Be(1000);
        desired.Objects.Where(o => o.Kind == "Secret").Select(o => o.Name).Should().OnlyHaveUniqueItems().And.HaveCount(4);
        desired.Objects.Select(ObjectKeys.Of).Should().OnlyHaveUniqueItems();
        output.WriteLine($"10,000 pods, 1,000 namespaces, 3 profiles: {renders} renders, {desired.Objects.Length} desired objects in {stopwatch.ElapsedMilliseconds} ms");

        var again = DesiredState.Compute(Input(pods, namespaces), Workloads.Options, (i, o) => { renders++; return Renderer.Render(i, o); }, memo);
        again.Renders.Should().Be(0, "nothing that shapes the objects changed");
        again.Objects.Select(ObjectKeys.Of).Should().Equal(desired.Objects.Select(ObjectKeys.Of));
    }

    [Fact]
    public void A_mutated_provider_re_renders_to_its_objects_labelled_with_its_name()
    {
        var provider = Workloads.MutatedProvider("flux-system", "alerts-webhook");
        var input = new DesiredStateInput(
            new Dictionary<string, NamespaceInfo> { ["flux-system"] = Workloads.Info("flux-system") }.ToImmutableDictionary(), [], [Workloads.ToWorkload(provider)], []);

        var desired = DesiredState.Compute(input, Workloads.Options);

        desired.Problems.Should().BeEmpty();
        desired.Objects.Select(o => o.Kind).Should().Contain(["CiliumNetworkPolicy", "CiliumEnvoyConfig", "Secret"]);
        desired.Objects.Where(o => o.Kind.StartsWith("Cilium", StringComparison.Ordinal))
            .Should().OnlyContain(o => ObjectKeys.Label(o.Manifest, Naming.ProviderLabel) == "alerts-webhook");
    }

    [Fact]
    public void Terminal_pods_and_pods_of_vanished_namespaces_need_nothing()
    {
        var done = Workloads.ToWorkload(Workloads.MutatedPod("team-a", "job-1", "github.com"), phase: "Succeeded");
        var orphan = Workloads.ToWorkload(Workloads.MutatedPod("gone", "web-1", "github.com"));

        var desired = DesiredState.Compute(Input([done, orphan], "team-a"), Workloads.Options);

        desired.Objects.Should().BeEmpty();
        desired.Renders.Should().Be(0);
    }

    [Fact]
    public void Pods_whose_namespace_defaults_changed_keep_their_profile_objects_and_are_reported()
    {
        var pod = Workloads.MutatedPod("team-a", "web-1", "github.com");
        pod["metadata"]!["annotations"]![Naming.Prefix + "intercept"] = "gitlab.com"; // as if edited under the pod
        var profile = (string)pod["metadata"]!["labels"]![Naming.ProfileLabel]!;

        var desired = DesiredState.Compute(Input([Workloads.ToWorkload(pod)], "team-a"), Workloads.Options);

        desired.Objects.Should().NotContain(o => o.Kind == "CiliumNetworkPolicy", "the new profile selects no pod");
        desired.Objects.Should().Contain(o => o.Kind == "ConfigMap", "the pods still mount the bundle");
        desired.Retained.Should().Equal(new RetainedScope("team-a", profile, null));
        desired.Problems.Should().ContainSingle().Which.Reason.Should().Be("ProfileChanged");
    }

    [Fact]
    public void A_trust_bundle_that_exists_in_an_opted_in_namespace_stays_desired()
    {
        var input = new DesiredStateInput(
            new Dictionary<string, NamespaceInfo> { ["team-a"] = Workloads.Info("team-a"), ["team-b"] = NamespaceInfo.Bare("team-b") }.ToImmutableDictionary(),
            [], [], ["team-a", "team-b"]);

        var desired = DesiredState.Compute(input, Workloads.Options);

        desired.Objects.Select(o => o.Namespace).Should().Equal("team-a");
    }
}
