using System.Text;
using System.Text.Json.Nodes;
using EgressTls.LoadBench.Targets;
using EgressTls.LoadBench.Workload;

namespace EgressTls.LoadBench.Tests;

/// <summary>The bodies' per-request variants, serve's memo counters, and the check that each body takes the
/// path (memo or render) it is meant to measure.</summary>
public class WorkloadTests
{
    private static WorkloadBody Body(string name) => ReviewBodies.All().Single(b => b.Name == name);

    private static JsonObject Pod(byte[] review) => JsonNode.Parse(review)!["request"]!["object"]!.AsObject();

    [Fact]
    public void Every_placeholder_of_a_StatefulSet_pod_gets_the_same_variant_and_each_request_another()
    {
        var body = Body("typical-sts");
        var first = body.WithUid(WorkloadBody.Uid(1), 1);
        var pod = Pod(first);
        var name = WorkloadBody.Variant(1);

        Encoding.UTF8.GetString(first).Should().NotContain(ReviewBodies.VariantPlaceholder).And.NotContain(ReviewBodies.UidPlaceholder);
        ((string)pod["metadata"]!["name"]!).Should().Be($"checkout-{name}");
        ((string)pod["metadata"]!["labels"]!["statefulset.kubernetes.io/pod-name"]!).Should().Be($"checkout-{name}");
        ((string)pod["spec"]!["hostname"]!).Should().Be($"checkout-{name}");
        ((string)JsonNode.Parse(first)!["request"]!["name"]!).Should().Be($"checkout-{name}");
        pod["metadata"]!["generateName"].Should().BeNull();
        body.WithUid(WorkloadBody.Uid(2), 2).Should().NotEqual(body.WithUid(WorkloadBody.Uid(2), 3));
    }

    [Fact]
    public void A_cold_pod_differs_in_an_env_value_of_its_first_container()
    {
        var env = Pod(Body("typical-cold").WithUid(WorkloadBody.Uid(1), 5))["spec"]!["containers"]![0]!["env"]!.AsArray();

        env.Should().ContainSingle(e => (string)e!["name"]! == ReviewBodies.VariantVariable)
            .Which!["value"]!.GetValue<string>().Should().Be(WorkloadBody.Variant(5));
    }

    [Fact]
    public void Bodies_of_one_template_carry_no_variant()
    {
        foreach (var name in new[] { "typical", "large", "unannotated", "provider" })
        {
            Body(name).Distinct.Should().BeFalse(name);
        }

        foreach (var name in new[] { "typical-cold", "large-cold", "typical-rollout", "typical-sts" })
        {
            Body(name).Distinct.Should().BeTrue(name);
        }
    }

    [Fact]
    public void The_memo_counters_are_read_from_the_prometheus_exposition()
    {
        const string exposition = """
            # HELP egress_tls_admission_memo_lookups_total Render decisions found in the admission memo (hit) or rendered (miss).
            # TYPE egress_tls_admission_memo_lookups_total counter
            egress_tls_admission_memo_lookups_total{result="hit"} 1234
            egress_tls_admission_memo_lookups_total{result="miss"} 56
            egress_tls_admission_decisions_total{decision="Mutated",reason="mutated"} 1290
            """;

        MemoCounters.Parse(exposition).Should().Be(new MemoShare(1234, 1290));
        MemoCounters.Parse("# nothing yet\n").Should().Be(new MemoShare(0, 0));
        FluentActions.Invoking(() => MemoCounters.Parse("egress_tls_admission_memo_lookups_total{result=\"hit\"} many"))
            .Should().Throw<FormatException>().WithMessage("*result=\"hit\"*");
        new MemoShare(1300, 1400).Since(new MemoShare(1234, 1290)).Should().Be(new MemoShare(66, 110));
    }

    [Fact]
    public void A_body_that_does_not_take_its_path_is_a_problem()
    {
        BenchCommand.MemoProblem(Body("typical-sts"), new MemoShare(40, 40)).Should().BeNull();
        BenchCommand.MemoProblem(Body("typical-sts"), new MemoShare(39, 40)).Should().Contain("39 of 40").And.Contain("expected all");
        BenchCommand.MemoProblem(Body("typical-cold"), new MemoShare(0, 40)).Should().BeNull();
        BenchCommand.MemoProblem(Body("typical-cold"), new MemoShare(1, 40)).Should().Contain("1 of 40").And.Contain("expected none");
        BenchCommand.MemoProblem(Body("typical-cold"), new MemoShare(0, 0)).Should().NotBeNull("a cell that looked nothing up measured nothing");
        BenchCommand.MemoProblem(Body("provider"), new MemoShare(3, 40)).Should().BeNull();
    }
}
