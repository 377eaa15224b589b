using System.Text.Json.Nodes;
using EgressTls.Core.Serialization;
using EgressTls.Webhook.Rendering;
using EgressTls.Webhook.Tests.Support;

namespace EgressTls.Webhook.Tests;

/// <summary>`render` on the README examples, as a process; and the same patch through render and /mutate.</summary>
public sealed class ExamplesRenderTests
{
    public static TheoryData<string> Examples() =>
        [.. Directory.GetFiles(Path.Combine(Tools.RepositoryRoot, "tests", "examples"), "*.yaml").Select(f => Path.GetFileName(f) ?? f).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Every_example_renders_its_workloads_and_the_generated_objects_without_secret_data(string example)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "egress-tls.dll");
        var file = Path.Combine(Tools.RepositoryRoot, "tests", "examples", example);

        var (code, stdout, stderr) = await Tools.RunAsync("dotnet", [dll, "render", "-f", file]);

        code.Should().Be(0, stderr);
        var docs = Yaml.ParseStream(stdout).Cast<JsonObject>().ToList();
        docs.Should().Contain(d => (string)d["kind"]! == "CiliumNetworkPolicy");
        docs.Where(d => (string)d["kind"]! == "Secret").Should().OnlyContain(s =>
            !s.ContainsKey("data") && !s.ContainsKey("stringData")
            && s["metadata"]!["annotations"]![RenderCommand.ContentAnnotation] != null);
        stdout.Should().NotContain("cGxhY2Vob2xkZXI=", "input Secret data is never printed");
        var input = Yaml.ParseStream(File.ReadAllText(file)).Cast<JsonObject>().Where(d => (string)d["kind"]! != "Secret").ToList();
        docs.Take(input.Count).Select(d => (string)d["kind"]!).Should().Equal(input.Select(d => (string)d["kind"]!), "input objects come first, in order");
    }

    [Fact]
    public async Task The_github_deployment_template_is_mutated_like_its_pods()
    {
        var file = Path.Combine(Tools.RepositoryRoot, "tests", "examples", "intercept-github.yaml");
        var stdout = new StringWriter();

        var code = await Cli.RunAsync(["render", "-f", file], TextReader.Null, stdout, new StringWriter(), _ => null);

        code.Should().Be(0);
        var deployment = Yaml.ParseStream(stdout.ToString()).Cast<JsonObject>().Single(d => (string)d["kind"]! == "Deployment");
        var template = deployment["spec"]!["template"]!;
        template["metadata"]!["labels"]!["egress-tls.io/profile"].Should().NotBeNull();
        template["metadata"]!.AsObject().ContainsKey("generateName").Should().BeFalse();
        template["metadata"]!.AsObject().ContainsKey("namespace").Should().BeFalse();
        foreach (var container in template["spec"]!["initContainers"]!.AsArray().Concat(template["spec"]!["containers"]!.AsArray()))
        {
            container!["volumeMounts"]!.AsArray().Select(m => (string)m!["mountPath"]!).Should().Contain("/etc/egress-tls/trust");
        }
    }

    [Theory]
    [InlineData("mtls-lab.yaml")]
    [InlineData("facebook-http-rules.yaml")]
    public async Task Render_and_the_webhook_give_one_identical_patch(string example)
    {
        var file = Path.Combine(Tools.RepositoryRoot, "tests", "examples", example);
        var documents = Yaml.ParseStream(File.ReadAllText(file)).Cast<JsonObject>().ToList();
        var pod = documents.Single(d => (string)d["kind"]! == "Pod");
        var stdout = new StringWriter();
        (await Cli.RunAsync(["render", "-f", file], TextReader.Null, stdout, new StringWriter(), _ => null)).Should().Be(0);
        var rendered = Yaml.ParseStream(stdout.ToString()).Cast<JsonObject>().Single(d => (string)d["kind"]! == "Pod");

        await using var server = await WebhookServer.StartAsync(new Configuration.WebhookConfig());
        var ns = (string)pod["metadata"]!["namespace"]!;
        var review = Reviews.Request("uid-" + example, "", "v1", "Pod", "pods", "CREATE", ns, (string)pod["metadata"]!["name"]!, pod);
        var response = await ClusterModeTests.PostAsync(server, review);

        JsonNode.DeepEquals(PodAdmissionTests.ApplyPatch(review, response), rendered).Should().BeTrue();
    }
}
