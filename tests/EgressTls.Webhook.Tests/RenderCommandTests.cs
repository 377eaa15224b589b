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

    [Theory]
    [InlineData("deep.yaml", "flow")]
    [InlineData("deep.yaml", "block")]
    [InlineData("deep.json", "flow")]
    public async Task Input_nested_past_the_limit_exits_1_naming_the_limit(string file, string style)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File(file), style == "flow"
            ? new string('[', 30_000) + new string(']', 30_000)
            : new System.Text.StringBuilder().Insert(0, "- ", 30_000).Append('x').ToString());

        var (code, stdout, stderr) = await RenderAsync(["render", "-f", dir.File(file)]);

        code.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().Be($"error: {dir.File(file)}: line 1, column {(style == "flow" ? 257 : 513)}: mappings and sequences nest deeper than 256 levels (expected at most 256 levels of nesting)\n");
    }

    [Fact]
    public async Task A_manifest_nested_to_the_limit_passes_through_unchanged()
    {
        // A custom resource may nest deeper than any Pod; 256 levels in all, counting the object itself.
        var resource = new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Deep", ["metadata"] = new JsonObject { ["name"] = "deep" }, ["spec"] = Chain(Yaml.MaxDepth - 1) };

        var (code, stdout, stderr) = await RenderAsync(["render", "-f", "-"], Yaml.Write(resource));

        code.Should().Be(0, stderr);
        JsonNode.DeepEquals(Yaml.Parse(stdout), resource).Should().BeTrue();
    }

    [Theory]
    [InlineData(62, 0)]
    [InlineData(63, 1)]
    public async Task A_pod_deeper_than_the_webhook_admits_is_an_error_as_the_webhook_would_refuse_it(int depth, int exitCode)
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = "web", ["annotations"] = new JsonObject { ["egress-tls.io/intercept"] = "api.github.com" } },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "alpine:3.20" }), ["extra"] = Chain(depth - 2) },
        };

        var (code, stdout, stderr) = await RenderAsync(["render", "-f", "-"], Yaml.Write(pod));

        code.Should().Be(exitCode, stderr);
        stderr.Should().NotContain("internal error");
        if (exitCode == 0)
        {
            stdout.Should().Contain("SSL_CERT_FILE");
        }
        else
        {
            stderr.Should().Contain("error: Pod default/web: the object nests 63 levels deep, which the webhook refuses (its AdmissionReview may nest 64); expected at most 62 levels");
        }
    }

    [Fact]
    public async Task Anchors_and_aliases_in_a_manifest_render_as_copies_of_their_nodes()
    {
        const string Manifest = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: &name web
              namespace: team-a
            spec:
              selector:
                matchLabels: &labels {app: *name}
              template:
                metadata:
                  labels: *labels
                  annotations: {egress-tls.io/intercept: api.github.com}
                spec:
                  containers:
                  - {name: app, image: alpine:3.20, env: &env [{name: MODE, value: fast}]}
                  - {name: sidecar, image: alpine:3.20, env: *env}
            """;

        var (code, stdout, stderr) = await RenderAsync(["render", "-f", "-"], Manifest);

        code.Should().Be(0, stderr);
        var deployment = Yaml.ParseStream(stdout)[0]!;
        deployment["spec"]!["template"]!["metadata"]!["labels"]!["app"]!.GetValue<string>().Should().Be("web");
        foreach (var container in deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray())
        {
            container!["env"]!.AsArray().Select(e => (string)e!["name"]!).Should().Contain(["MODE", "SSL_CERT_FILE"]);
        }
    }

    [Fact]
    public async Task An_alias_bomb_in_a_manifest_exits_1_naming_the_budget()
    {
        var bomb = new System.Text.StringBuilder("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var level = 1; level <= 9; level++)
        {
            bomb.Append(System.Globalization.CultureInfo.InvariantCulture, $"  a{level}: &a{level} [{string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10))}]\n");
        }

        var (code, stdout, stderr) = await RenderAsync(["render", "-f", "-"], bomb.ToString());

        code.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().Contain("stdin: line ").And.Contain("aliases expand to more than 100000 nodes (expected at most 100000 for this input: one node per character, and at least 100000)");
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
    [InlineData(new[] { "render", "-f", "a.yaml", "--cilium-version", "1.99999999999" },
        "--cilium-version: \"1.99999999999\" is not a supported Cilium version; expected 1.14 to 1.18")]
    [InlineData(new[] { "render", "-f", "a.yaml", "--config=" }, "--config: the value is empty; expected the path of a JSON configuration file")]
    [InlineData(new[] { "render", "-f", "" }, "--filename: the value is empty; expected the path of a manifest file, or - for standard input")]
    [InlineData(new[] { "serve", "--config=" }, "--config: the value is empty; expected the path of a JSON configuration file")]
    [InlineData(new[] { "serve", "--kubeconfig", "" }, "--kubeconfig: the value is empty; expected the path of a kubeconfig file")]
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

    // Mappings nested `levels` deep: {a: {a: ... {a: x}}}.
    private static JsonObject Chain(int levels)
    {
        var node = new JsonObject { ["a"] = "x" };
        for (var i = 1; i < levels; i++)
        {
            node = new JsonObject { ["a"] = node };
        }

        return node;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RenderAsync(string[] args, string stdin = "")
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await Cli.RunAsync(args, new StringReader(stdin), stdout, stderr, _ => null);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
