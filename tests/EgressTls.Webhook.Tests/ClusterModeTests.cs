using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Kubernetes;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EgressTls.Webhook.Tests;

/// <summary>The seam for the cluster implementations: what the host does when the cluster misbehaves.</summary>
public sealed class ClusterModeTests
{
    [Fact]
    public async Task An_unreachable_api_server_denies_the_pod_with_503_and_a_reason_not_an_http_500()
    {
        var cluster = new FakeCluster { Namespace = (_, _) => throw new HttpRequestException("connection refused") };
        await using var server = await StartAsync(cluster, TimeSpan.FromSeconds(4));

        var response = await PostAsync(server, Reviews.Pod("uid-down"));

        response["allowed"]!.GetValue<bool>().Should().BeFalse();
        response["status"]!["code"]!.GetValue<int>().Should().Be(503);
        response["status"]!["message"]!.GetValue<string>().Should().Contain("could not read namespace team-a");
        cluster.Applied.Should().BeEmpty();
        LogCollector.Scalar(server.Logs.Decisions("uid-down").Single(), "Reason").Should().Be("context-unavailable");
    }

    [Fact]
    public async Task A_reader_slower_than_the_admission_budget_is_cancelled_and_the_pod_denied()
    {
        var cluster = new FakeCluster
        {
            Namespace = async (_, token) =>
            {
                await Task.Delay(Timeout.Infinite, token);
                throw new InvalidOperationException("unreachable");
            },
        };
        await using var server = await StartAsync(cluster, TimeSpan.FromMilliseconds(200));

        var response = await PostAsync(server, Reviews.Pod("uid-slow"));

        response["allowed"]!.GetValue<bool>().Should().BeFalse();
        response["status"]!["code"]!.GetValue<int>().Should().Be(503);
        response["status"]!["message"]!.GetValue<string>().Should().Contain("within 0.2s");
    }

    [Fact]
    public async Task Serve_outside_standalone_without_cluster_implementations_exits_2_saying_so()
    {
        var stderr = new StringWriter();

        var code = await Cli.RunAsync(["serve"], TextReader.Null, new StringWriter(), stderr,
            name => name == "KUBERNETES_SERVICE_HOST" ? "10.96.0.1" : null);

        code.Should().Be(2);
        stderr.ToString().Should().Contain("--standalone");
    }

    internal static Task<WebhookServer> StartAsync(FakeCluster cluster, TimeSpan budget) =>
        WebhookServer.StartAsync(
            new WebhookConfig { Admission = new AdmissionConfig { ApplyTimeout = budget } },
            standalone: false,
            services: services =>
            {
                services.AddSingleton<IAdmissionContextReader>(cluster);
                services.AddSingleton<IDesiredStateApplier>(cluster);
            });

    internal static async Task<JsonObject> PostAsync(WebhookServer server, JsonObject review)
    {
        using var client = server.Client(await server.HandshakeAsync());
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(review.ToJsonString()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await client.PostAsync("/mutate", content);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        var answer = JsonNode.Parse(text)!["response"]!.AsObject();
        answer["uid"]!.GetValue<string>().Should().Be(review["request"]!["uid"]!.GetValue<string>());
        return answer;
    }
}
