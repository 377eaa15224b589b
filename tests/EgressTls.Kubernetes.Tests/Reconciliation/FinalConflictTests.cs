using EgressTls.Kubernetes.Reconciliation;
using EgressTls.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>409 answers that no retry can change (a failed delete precondition, AlreadyExists) reach the code that
/// handles them after one request.</summary>
public sealed class FinalConflictTests
{
    [Fact]
    public async Task A_policy_whose_delete_precondition_fails_is_kept_after_a_single_delete()
    {
        await using var h = await ReconcilerHarness.StartAsync(retry: new ApiRetryOptions());
        h.SeedNamespace("team-a");
        var pod = h.SeedPod("team-a", "web-1", "github.com");
        var name = $"egress-tls-{h.ProfileOf(pod)}";
        var converged = await h.ConvergeAsync();
        await h.DeletePodAsync("team-a", "web-1");
        await h.PassUntilAsync(r => r.Desired < converged.Desired);

        // What kube-apiserver answers, every time, when the object changed since the reconciler looked at it.
        h.Server.AddFault(Fault.Conflict("delete", "ciliumnetworkpolicies", times: 100));
        h.Server.ClearLog();
        h.Clock.Advance(TimeSpan.FromMinutes(3));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var pass = await h.Reconciler.PassAsync(false, CancellationToken.None);

        h.Server.RequestLog.Where(e => e.Verb == "delete").Should().ContainSingle();
        pass.Deleted.Should().BeEmpty("a Secret a kept policy may name is not deleted either");
        h.Cnp("team-a", name).Should().NotBeNull();
        started.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task An_event_another_replica_already_created_costs_one_create()
    {
        await using var server = await StandInApiServer.StartAsync();
        var client = KubernetesClientFactory.ForHost(server.Url);
        var pipeline = new ApiCallPipeline();
        var problem = new WorkloadProblem(WorkloadRef.ForNamespace("team-a"), "ReconcileFailed", "could not apply");
        var former = new EventRecorder(client, pipeline, TimeProvider.System, NullLogger.Instance);
        var leader = new EventRecorder(client, pipeline, TimeProvider.System, NullLogger.Instance);

        await former.RecordAsync(problem, CancellationToken.None);
        server.ClearLog();
        await leader.RecordAsync(problem, CancellationToken.None);

        server.RequestLog.Should().ContainSingle().Which.Should().Match<RequestLogEntry>(e => e.Verb == "create" && e.StatusCode == 409);
    }
}
