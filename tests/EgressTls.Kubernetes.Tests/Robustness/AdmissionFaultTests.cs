using System.Text.Json.Nodes;
using EgressTls.Testing;

namespace EgressTls.Kubernetes.Tests.Robustness;

/// <summary>
/// API faults and concurrency end to end at the Kubernetes layer: reader + Renderer + applier over the stand-in API
/// server with injected faults. Two CA stores racing: CaSecretStoreTests; the applier alone under 200 concurrent
/// applies with faults: ApplierTests.
/// </summary>
public sealed class AdmissionFaultTests : IAsyncLifetime
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(4);

    // kube-apiserver's default webhook timeout is 10s; every answer must come before it.
    private static readonly TimeSpan WebhookTimeout = TimeSpan.FromSeconds(10);

    private StandInApiServer server = null!;

    public async Task InitializeAsync()
    {
        server = await StandInApiServer.StartAsync();
        ComposedAdmission.SeedNamespace(server);
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    private static JsonObject InterceptPod() => ComposedAdmission.Pod(new JsonObject { ["egress-tls.io/intercept"] = "github.com, *.github.com" });

    public static TheoryData<string> Faults() => ["429", "500", "drop-connection", "drop-response", "409", "latency-under-budget"];

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Transient_faults_during_admission_apply_end_allowed_with_one_of_each_object(string fault)
    {
        await using var admission = await Start();
        AddFaults(fault, times: 2);

        var (allowed, message) = await WithinWebhookTimeout(admission.AdmitAsync(InterceptPod()));

        allowed.Should().BeTrue(message);
        server.PendingFaults.Should().Be(0, "every injected fault was hit");
        AssertOneOfEach();
    }

    [Fact]
    public async Task Latency_beyond_the_budget_denies_saying_the_api_server_was_slow_and_a_retry_converges()
    {
        // One attempt may take longer than the whole budget: the budget, not the API server, ends the wait.
        await using var admission = await ComposedAdmission.StartAsync(server, Budget, ComposedAdmission.FastRetry with { AttemptTimeout = TimeSpan.FromSeconds(30) });
        server.AddFault(Fault.Latency(Budget + TimeSpan.FromSeconds(2), "apply", "ciliumnetworkpolicies"));

        var (allowed, message) = await WithinWebhookTimeout(admission.AdmitAsync(InterceptPod()));

        allowed.Should().BeFalse();
        message.Should().ContainAny("did not answer within", "timed out");
        server.PendingFaults.Should().Be(0);
        var retry = await WithinWebhookTimeout(admission.AdmitAsync(InterceptPod()));
        retry.Allowed.Should().BeTrue(retry.Message);
        AssertOneOfEach();
    }

    [Fact]
    public async Task A_persistently_failing_api_server_denies_with_the_reason_and_a_retry_after_recovery_converges()
    {
        await using var admission = await Start();
        // One more 500 than the retry pipeline's attempts (MaxRetries 8): this admission fails, the faults are spent.
        server.AddFault(Fault.ServerError("apply", "ciliumnetworkpolicies", times: new ApiRetryOptions().MaxRetries + 1));

        var (allowed, message) = await WithinWebhookTimeout(admission.AdmitAsync(InterceptPod()));

        allowed.Should().BeFalse();
        message.Should().Contain("CiliumNetworkPolicy");
        server.All("ciliumnetworkpolicies", "team-a").Should().BeEmpty("a failed admission leaves no policy behind");
        server.PendingFaults.Should().Be(0);
        var retry = await WithinWebhookTimeout(admission.AdmitAsync(InterceptPod()));
        retry.Allowed.Should().BeTrue(retry.Message);
        AssertOneOfEach();
    }

    [Fact]
    public async Task Two_hundred_concurrent_admissions_of_one_profile_create_one_set_of_objects_and_one_leaf_and_no_user_sees_a_conflict()
    {
        await using var admission = await Start();
        server.AddFault(Fault.Conflict("apply", "ciliumnetworkpolicies", times: 3));
        server.AddFault(Fault.TooManyRequests("apply", "secrets", times: 3, retryAfterSeconds: 0));
        server.AddFault(Fault.DropResponse("apply", "ciliumenvoyconfigs", times: 2));

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => admission.AdmitAsync(InterceptPod()))));

        answers.Where(a => !a.Allowed).Select(a => a.Message).Should().BeEmpty();
        AssertOneOfEach();
        admission.Shell.Material!.CachedLeaves.Should().Be(1);
    }

    [Fact]
    public async Task A_restart_keeps_the_ca_and_the_objects_and_issues_nothing_again()
    {
        Dictionary<string, string> before;
        await using (var first = await Start())
        {
            (await first.AdmitAsync(InterceptPod())).Allowed.Should().BeTrue();
            before = Snapshot();
        }

        server.ClearLog();
        await using var second = await Start();
        (await second.AdmitAsync(InterceptPod())).Allowed.Should().BeTrue();

        Snapshot().Should().Equal(before, "the CA Secret and every generated object are unchanged");
        server.RequestLog.Where(e => e.IsWrite).Should().BeEmpty("nothing is re-issued or rewritten after a restart");
    }

    private Dictionary<string, string> Snapshot() =>
        new[] { "secrets", "configmaps", "ciliumnetworkpolicies", "ciliumenvoyconfigs" }
            .SelectMany(r => server.All(r).Select(o => (Key: $"{r}/{o["metadata"]!["namespace"]}/{o["metadata"]!["name"]}", o)))
            .ToDictionary(x => x.Key, x => (x.o["data"] ?? x.o["spec"])?.ToJsonString() ?? "", StringComparer.Ordinal);

    private void AssertOneOfEach()
    {
        server.All("ciliumnetworkpolicies", "team-a").Should().ContainSingle();
        server.All("secrets", "egress-tls").Where(s => ((string)s["metadata"]!["name"]!).StartsWith("egress-tls-leaf-", StringComparison.Ordinal))
            .Should().ContainSingle("one leaf certificate for one set of names");
        server.All("secrets", "egress-tls").Where(s => (string?)s["metadata"]!["name"] == "egress-tls-ca").Should().ContainSingle();
        server.RequestLog.Where(e => e.Verb == "create" && e.StatusCode is >= 200 and < 300)
            .GroupBy(e => (e.Resource, e.Namespace, e.Name)).Should().OnlyContain(g => g.Count() == 1, "nothing is created twice");
    }

    private void AddFaults(string fault, int times)
    {
        foreach (var resource in new[] { "secrets", "ciliumnetworkpolicies" })
        {
            server.AddFault(fault switch
            {
                "429" => Fault.TooManyRequests("apply", resource, times, retryAfterSeconds: 0),
                "500" => Fault.ServerError("apply", resource, times),
                "drop-connection" => Fault.DropConnection("apply", resource, times),
                "drop-response" => Fault.DropResponse("apply", resource, times),
                "409" => Fault.Conflict("apply", resource, times),
                "latency-under-budget" => Fault.Latency(TimeSpan.FromMilliseconds(300), "apply", resource), // not retried: spent once
                _ => throw new ArgumentOutOfRangeException(nameof(fault)),
            });
        }
    }

    private async Task<ComposedAdmission> Start() => await ComposedAdmission.StartAsync(server, Budget);

    private static async Task<T> WithinWebhookTimeout<T>(Task<T> answer)
    {
        var finished = await Task.WhenAny(answer, Task.Delay(WebhookTimeout));
        finished.Should().BeSameAs(answer, "every admission answers before the API server's webhook timeout");
        return await answer;
    }
}
