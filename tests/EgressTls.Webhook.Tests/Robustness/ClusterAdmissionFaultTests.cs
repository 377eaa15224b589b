using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Testing;
using EgressTls.Webhook.Tests.Cluster;
using EgressTls.Webhook.Tests.Support;

namespace EgressTls.Webhook.Tests.Robustness;

/// <summary>
/// API faults and concurrency through the real host in cluster mode (/mutate over TLS, stand-in API server injecting
/// faults). The same at the Kubernetes layer, with restart: Kubernetes.Tests AdmissionFaultTests.
/// </summary>
public sealed class ClusterAdmissionFaultTests
{
    // kube-apiserver's default (and maximum useful) webhook timeout is 10s; each answer must come before it.
    private static readonly TimeSpan WebhookTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Faults_during_admission_end_in_a_clear_answer_within_the_timeout_and_a_retry_converges_with_one_of_each_object()
    {
        await using var host = await ClusterHost.StartAsync(TimeSpan.FromSeconds(4));
        await host.WaitReadyAsync();
        using var client = host.Server.Client(await host.Server.HandshakeAsync());
        host.Api.AddFault(Fault.TooManyRequests("apply", "secrets", times: 2, retryAfterSeconds: 0));
        host.Api.AddFault(Fault.DropConnection("apply", "ciliumenvoyconfigs", times: 2));
        host.Api.AddFault(Fault.DropResponse("apply", "ciliumnetworkpolicies"));
        host.Api.AddFault(Fault.Conflict("apply", "ciliumnetworkpolicies"));
        host.Api.AddFault(Fault.ServerError("apply", "configmaps", times: 2));
        host.Api.AddFault(Fault.Latency(TimeSpan.FromSeconds(30), "apply", "ciliumnetworkpolicies"));
        var faults = host.Api.PendingFaults;

        var answers = new List<JsonObject>();
        for (var attempt = 0; attempt < 5 && (answers.Count == 0 || !(bool)answers[^1]["allowed"]!); attempt++)
        {
            answers.Add(await PostWithinTimeoutAsync(client, Reviews.Pod($"uid-fault-{attempt}", ClusterHost.PodAnnotations())));
        }

        answers[^1]["allowed"]!.GetValue<bool>().Should().BeTrue(answers[^1].ToJsonString());
        foreach (var denied in answers.SkipLast(1))
        {
            // Denied answers (if the retries did not absorb every fault) say what failed, never a bare 500.
            denied["status"]!["code"]!.GetValue<int>().Should().Be(503);
            denied["status"]!["message"]!.GetValue<string>().Should().Contain("egress-tls could not");
        }

        host.Api.PendingFaults.Should().BeLessThan(faults);
        host.Api.All("ciliumnetworkpolicies", "team-a").Should().ContainSingle();
        host.Api.All("ciliumenvoyconfigs", "team-a").Should().ContainSingle();
        host.Api.All("secrets", "egress-tls").Count(s => ((string)s["metadata"]!["name"]!).StartsWith("egress-tls-leaf-", StringComparison.Ordinal)).Should().Be(1);
        host.Api.RequestLog.Where(e => e.Verb == "create" && e.StatusCode is >= 200 and < 300).GroupBy(e => (e.Resource, e.Namespace, e.Name))
            .Should().OnlyContain(g => g.Count() == 1, "nothing is created twice");
    }

    [Fact]
    public async Task Two_hundred_concurrent_admissions_through_mutate_are_all_allowed_with_one_set_of_objects_and_one_leaf()
    {
        await using var host = await ClusterHost.StartAsync(TimeSpan.FromSeconds(8));
        await host.WaitReadyAsync();
        using var client = host.Server.Client(await host.Server.HandshakeAsync());
        host.Api.AddFault(Fault.Conflict("apply", "ciliumnetworkpolicies", times: 3));
        host.Api.AddFault(Fault.TooManyRequests("apply", "secrets", times: 3, retryAfterSeconds: 0));

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(() => PostWithinTimeoutAsync(client, Reviews.Pod($"uid-c-{i}", ClusterHost.PodAnnotations())))));

        answers.Where(a => !(bool)a["allowed"]!).Select(a => a.ToJsonString()).Should().BeEmpty("no conflict surfaces to a user");
        answers.Select(a => (string)a["patch"]!).Distinct().Should().ContainSingle("every pod of the profile gets the same patch");
        host.Api.All("ciliumnetworkpolicies", "team-a").Should().ContainSingle();
        host.Api.All("secrets", "egress-tls").Count(s => ((string)s["metadata"]!["name"]!).StartsWith("egress-tls-leaf-", StringComparison.Ordinal)).Should().Be(1);
        host.Api.RequestLog.Where(e => e.IsWrite && e.StatusCode is >= 200 and < 300 && e.Resource == "ciliumnetworkpolicies")
            .Should().HaveCountLessThanOrEqualTo(2, "concurrent admissions share one apply (a second only after a dropped answer)");
    }

    private static async Task<JsonObject> PostWithinTimeoutAsync(HttpClient client, JsonObject review)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(review.ToJsonString()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var post = client.PostAsync("/mutate", content);
        (await Task.WhenAny(post, Task.Delay(WebhookTimeout))).Should().BeSameAs(post, "every admission answers before the webhook timeout");
        using var response = await post;
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["response"]!.AsObject();
    }
}
