using System.Diagnostics;
using EgressTls.Core.Rendering;
using Xunit.Abstractions;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>A large cluster through the stand-in: 10,000 pods of 3 profiles in 1,000 namespaces.</summary>
public sealed class ScaleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Ten_thousand_pods_are_reconciled_with_three_thousand_renders_and_each_object_applied_once()
    {
        var renders = 0;
        RenderResult Count(RenderInput input, RenderOptions options)
        {
            Interlocked.Increment(ref renders);
            return Renderer.Render(input, options);
        }

        await using var h = await ReconcilerHarness.StartAsync(render: Count, start: false);
        string[] hosts = ["github.com", "api.stripe.com", "registry.npmjs.org"];
        var templates = hosts.Select((x, i) => Workloads.MutatedPod("ns-0", $"p{i}", x)).ToArray();
        for (var n = 0; n < 1000; n++)
        {
            h.SeedNamespace($"ns-{n}");
        }

        for (var i = 0; i < 10_000; i++)
        {
            var pod = templates[(i / 1000) % 3].DeepClone().AsObject();
            pod["metadata"]!["namespace"] = $"ns-{i % 1000}";
            pod["metadata"]!["name"] = $"pod-{i}";
            h.Server.Seed(pod);
        }

        await h.Reconciler.StartAsync(CancellationToken.None);
        h.Server.ClearLog();
        var stopwatch = Stopwatch.StartNew();
        var first = await h.Reconciler.PassAsync(resync: true, CancellationToken.None);
        stopwatch.Stop();

        renders.Should().Be(3000);
        first.Desired.Should().Be(4004, "3,000 policies, 1,000 trust bundles, 3 leaves, the public roots");
        first.Applied.Should().HaveCount(4004);
        first.Failed.Should().BeEmpty();
        var applies = h.Server.RequestLog.Where(e => e.Verb == "apply").GroupBy(e => (e.Resource, e.Namespace, e.Name)).ToList();
        applies.Should().HaveCount(4004).And.OnlyContain(g => g.Count() == 1);
        output.WriteLine($"first pass: {renders} renders, {first.Desired} desired, {first.Applied.Length} applied in {stopwatch.ElapsedMilliseconds} ms");

        var settled = await h.ConvergeAsync();
        renders.Should().Be(3000, "the memo covers unchanged pods and namespaces");
        output.WriteLine($"converged pass: {settled.Elapsed.TotalMilliseconds:F0} ms, 0 renders, 0 writes");
    }
}
