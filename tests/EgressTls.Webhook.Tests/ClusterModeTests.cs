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

    [Theory]
    [InlineData("apiVersion: v1\nkind: Config\ncurrent-context: nowhere\n", "CurrentContext: nowhere not found")]
    [InlineData("clusters: [unclosed", "did not find expected")]
    public async Task Serve_with_only_a_home_kubeconfig_uses_it_rather_than_running_standalone(string kubeconfig, string detail)
    {
        // Neither KUBERNETES_SERVICE_HOST nor KUBECONFIG: ~/.kube/config is the documented last fallback. A kubeconfig
        // the client cannot use shows that it was read; serving standalone instead would not exit.
        using var home = new TempDirectory();
        Directory.CreateDirectory(home.File(".kube"));
        File.WriteAllText(home.File(".kube/config"), kubeconfig);
        File.WriteAllText(home.File("c.json"), """{"server": {"port": 0, "metricsPort": 0}}""");
        var stderr = new StringWriter();

        var code = await Cli.RunAsync(["serve", "--config", home.File("c.json")], TextReader.Null, new StringWriter(), stderr,
            name => name == "HOME" ? home.Path : null).WaitAsync(TimeSpan.FromSeconds(30));

        code.Should().Be(2, stderr.ToString());
        stderr.ToString().Should().Contain($"cannot read the Kubernetes client configuration from the kubeconfig {home.File(".kube/config")} (~/.kube/config)")
            .And.Contain(detail).And.NotContain("internal error");
    }

    [Theory]
    [InlineData(new[] { "serve", "--kubeconfig", "/nonexistent/kubeconfig" }, null, "--kubeconfig: /nonexistent/kubeconfig does not exist; expected the path of a kubeconfig file")]
    [InlineData(new[] { "serve", "--kubeconfig", "/" }, null, "--kubeconfig: / is a directory; expected the path of a kubeconfig file")]
    [InlineData(new[] { "serve" }, "/nonexistent/a:/nonexistent/b", "KUBECONFIG: no file of \"/nonexistent/a:/nonexistent/b\" exists; expected the path of a kubeconfig file")]
    public async Task Serve_with_a_kubeconfig_that_does_not_exist_names_it_and_exits_2(string[] args, string? kubeconfigVariable, string message)
    {
        var stderr = new StringWriter();

        var code = await Cli.RunAsync(args, TextReader.Null, new StringWriter(), stderr, name => name == "KUBECONFIG" ? kubeconfigVariable : null)
            .WaitAsync(TimeSpan.FromSeconds(30));

        code.Should().Be(2, stderr.ToString());
        stderr.ToString().Should().Contain(message).And.NotContain("no Kubernetes client configuration found");
    }

    [Fact]
    public void The_client_configuration_is_found_as_kubectl_finds_it()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File(".kube"));
        foreach (var file in new[] { "explicit", "second", ".kube/config" })
        {
            File.WriteAllText(dir.File(file), "apiVersion: v1\nkind: Config\n");
        }

        var all = new Dictionary<string, string>
        {
            ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1",
            ["KUBECONFIG"] = $"{dir.File("missing")}:{dir.File("second")}",
            ["HOME"] = dir.Path,
        };
        Func<string, string?> Without(params string[] names) => name => names.Contains(name) ? null : all.GetValueOrDefault(name);

        Serving.ClusterSource.Find(dir.File("explicit"), Without())!.KubeconfigPath.Should().Be(dir.File("explicit"));
        var inCluster = Serving.ClusterSource.Find(null, Without())!;
        inCluster.KubeconfigPath.Should().BeNull();
        inCluster.Description.Should().Be("the in-cluster service account");
        Serving.ClusterSource.Find(null, Without("KUBERNETES_SERVICE_HOST"))!.KubeconfigPath.Should().Be(dir.File("second"));
        Serving.ClusterSource.Find(null, Without("KUBERNETES_SERVICE_HOST", "KUBECONFIG"))!.KubeconfigPath.Should().Be(dir.File(".kube/config"));
        Serving.ClusterSource.Find(null, Without("KUBERNETES_SERVICE_HOST", "KUBECONFIG", "HOME")).Should().BeNull("no configuration: standalone");
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
