using System.Text.Json.Nodes;
using EgressTls.Core.Serialization;
using EgressTls.Webhook.Tests.Support;

namespace EgressTls.Webhook.Tests;

/// <summary>`egress-tls render` input and output handling, in-process through the CLI entry and as a process.</summary>
public sealed class RenderCommandTests
{
    private const string ContextAndOthers = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: team-a
          labels:
            egress-tls.io/enabled: "true"
        ---
        apiVersion: v1
        kind: Secret
        metadata:
          name: tls-client-cert
          namespace: team-a
        type: kubernetes.io/tls
        data:
          tls.crt: Q0VSVElGSUNBVEUtREFUQQ==
          tls.key: UFJJVkFURS1LRVktREFUQQ==
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: team-a
        data:
          port: "8080"
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web
        spec:
          ports:
            - port: 80
        """;

    [Fact]
    public async Task Objects_other_than_pods_pass_through_in_order_and_secrets_are_omitted_with_their_data()
    {
        var (code, stdout, stderr) = await RenderAsync(["render", "-f", "-"], ContextAndOthers);

        code.Should().Be(0, stderr);
        var docs = Yaml.ParseStream(stdout);
        docs.Select(d => (string)d!["kind"]!).Should().Equal("Namespace", "ConfigMap", "Service");
        docs[1]!["data"]!["port"]!.GetValue<string>().Should().Be("8080");
        stdout.Should().NotContain("tls-client-cert").And.NotContain("Q0VSVElGSUNBVEUtREFUQQ").And.NotContain("UFJJVkFURS1LRVk");
        stderr.Should().NotContain("UFJJVkFURS1LRVk");
    }

    [Fact]
    public async Task A_List_and_JSON_input_are_flattened_into_their_items()
    {
        var list = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "List",
            ["items"] = new JsonArray(
                new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "one" } },
                new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "two" } }),
        };
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("list.json"), list.ToJsonString());

        var (code, stdout, _) = await RenderAsync(["render", "--filename", dir.File("list.json")]);

        code.Should().Be(0);
        Yaml.ParseStream(stdout).Select(d => (string)d!["metadata"]!["name"]!).Should().Equal("one", "two");
    }

    [Theory]
    [InlineData("a: [unclosed", "not valid YAML or JSON")]
    [InlineData("- just\n- a list\n", "document 1: expected a Kubernetes object")]
    [InlineData("apiVersion: v1\nkind: ConfigMap\n---\nname: no-kind\n", "document 2: expected a Kubernetes object")]
    public async Task Invalid_input_exits_1_with_the_document_named(string input, string message)
    {
        var (code, stdout, stderr) = await RenderAsync(["render", "-f", "-"], input);

        code.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().Contain("stdin").And.Contain(message);
    }

    [Fact]
    public async Task An_unquoted_number_as_an_env_value_is_an_error_naming_the_field()
    {
        const string input = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: jvm
              namespace: team-a
              annotations:
                egress-tls.io/inject-ca: "true"
            spec:
              containers:
              - name: app
                image: eclipse-temurin:21-jre
                env:
                - name: JAVA_TOOL_OPTIONS
                  value: 512
            """;

        var (code, _, stderr) = await RenderAsync(["render", "-f", "-"], input);

        code.Should().Be(1);
        stderr.Should().Contain("spec.containers[0].env[0].value: is Number; expected a string (in YAML, quote it: \"512\")")
            .And.NotContain("internal error");
    }

    [Fact]
    public async Task A_missing_file_exits_1()
    {
        var (code, _, stderr) = await RenderAsync(["render", "-f", "/nonexistent/pods.yaml"]);

        code.Should().Be(1);
        stderr.Should().Contain("cannot read /nonexistent/pods.yaml");
    }

    [Theory]
    [InlineData(new[] { "render" }, "-f FILE")]
    [InlineData(new[] { "render", "-f" }, "--filename needs a value")]
    [InlineData(new[] { "render", "-f", "a.yaml", "--frobnicate" }, "unknown option --frobnicate")]
    [InlineData(new[] { "render", "-f", "a.yaml", "-f", "b.yaml" }, "given more than once")]
    [InlineData(new[] { "render", "-f", "a.yaml", "extra" }, "unexpected argument")]
    [InlineData(new[] { "render", "-f", "a.yaml", "--cilium-version", "1.9" }, "--cilium-version")]
    [InlineData(new[] { "render", "-f", "a.yaml", "--secrets-mode", "vault" }, "--secrets-mode")]
    [InlineData(new[] { "serve", "--standalone=yes" }, "--standalone takes no value")]
    [InlineData(new[] { "deploy" }, "unknown command \"deploy\"")]
    [InlineData(new string[0], "usage: egress-tls <command>")]
    public async Task Usage_errors_exit_2_with_a_reason(string[] args, string message)
    {
        var (code, _, stderr) = await RenderAsync(args);

        code.Should().Be(2);
        stderr.Should().Contain(message);
    }

    [Theory]
    [InlineData(new[] { "--help" }, "commands:")]
    [InlineData(new[] { "render", "--help" }, "usage: egress-tls render")]
    [InlineData(new[] { "serve", "-h" }, "usage: egress-tls serve")]
    public async Task Help_exits_0_on_stdout(string[] args, string text)
    {
        var (code, stdout, _) = await RenderAsync(args);

        code.Should().Be(0);
        stdout.Should().Contain(text);
    }

    [Fact]
    public async Task Render_runs_as_a_process_reading_stdin()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "egress-tls.dll");

        var (code, stdout, stderr) = await Tools.RunAsync("dotnet", [dll, "render", "-f", "-"], ContextAndOthers);

        code.Should().Be(0, stderr);
        Yaml.ParseStream(stdout).Should().HaveCount(3);
    }

    [Fact]
    public async Task Dotnet_run_resolves_relative_paths_against_the_callers_directory()
    {
        // README's first command passes a path relative to the repository root to `dotnet run --project`.
        var project = Path.Combine(Tools.RepositoryRoot, "src", "EgressTls.Webhook", "EgressTls.Webhook.csproj");
        using var dir = new TempDirectory();

        var (code, stdout, stderr) = await Tools.RunAsync("dotnet", ["msbuild", project, "-getProperty:RunWorkingDirectory"], workingDirectory: dir.Path);

        code.Should().Be(0, stderr);
        Path.TrimEndingDirectorySeparator(stdout.Trim()).Should().Be(dir.Path);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RenderAsync(string[] args, string stdin = "")
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await Cli.RunAsync(args, new StringReader(stdin), stdout, stderr, _ => null);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
