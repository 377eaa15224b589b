using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Patching;
using EgressTls.Core.Rendering;
using EgressTls.Core.Serialization;
using EgressTls.Webhook.Admission;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Rendering;
using EgressTls.Webhook.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EgressTls.Webhook.Tests;

/// <summary>
/// Every golden case of the core (tests/EgressTls.Core.Tests/testdata/pods and testdata/providers) through the three paths:
/// the core called directly, the HTTP endpoint (cluster mode, the case's namespace and Secrets served by a
/// stand-in reader) and the <c>render</c> command. Each path must give the core's patch, byte for byte.
/// </summary>
public sealed class GoldenEndToEndTests
{
    private static string TestData => Path.Combine(Tools.RepositoryRoot, "tests", "EgressTls.Core.Tests", "testdata");

    private static readonly string[] Folders = ["pods", "providers"];

    /// <summary>Case ids as <c>folder/name</c>.</summary>
    public static TheoryData<string> Cases() => [.. CaseIds()];

    private static IEnumerable<string> CaseIds() =>
        Folders.SelectMany(folder => Directory.GetFiles(Path.Combine(TestData, folder), "*.yaml")
            .Where(f => !f.EndsWith(".golden.yaml", StringComparison.Ordinal))
            .Select(f => $"{folder}/{Path.GetFileNameWithoutExtension(f)}")).Order(StringComparer.Ordinal);

    [Fact]
    public void There_are_golden_cases_to_run()
    {
        var cases = CaseIds().ToList();
        cases.Count(c => c.StartsWith("pods/", StringComparison.Ordinal)).Should().BeGreaterThanOrEqualTo(25);
        cases.Count(c => c.StartsWith("providers/", StringComparison.Ordinal)).Should().BeGreaterThanOrEqualTo(10);
    }

    /// <summary>The pod cases, for the fields the admission memo leaves out of its key.</summary>
    public static TheoryData<string> PodCases() => [.. CaseIds().Where(c => c.StartsWith("pods/", StringComparison.Ordinal))];

    // AdmissionMemo.IgnoredPodFields: two pods that differ only there must get the same decision, since the
    // memo answers one with the other's. Each case is rendered with every one of them changed.
    [Theory]
    [MemberData(nameof(PodCases))]
    public void Render_ignores_the_pod_fields_the_memo_key_leaves_out(string name)
    {
        var c = Load(name);
        var options = RenderOptionsFactory.Create(c.Config);

        // Per-pod labels and an annotation as StatefulSet and Job pods carry them, wherever the pod has those
        // maps, so every case has label and annotation values to change.
        var pod = c.Object.DeepClone().AsObject();
        if (pod["metadata"]?["labels"] is JsonObject labels)
        {
            labels["statefulset.kubernetes.io/pod-name"] = "web-0";
            labels["apps.kubernetes.io/pod-index"] = "0";
        }

        if (pod["metadata"]?["annotations"] is JsonObject annotations)
        {
            annotations["batch.kubernetes.io/job-completion-index"] = "0";
        }

        var variant = pod.DeepClone().AsObject();
        var changed = ChangeIgnoredFields(variant);

        string Decision(JsonObject subject) => Describe(Renderer.Render(
            new RenderInput(subject, c.Operation, c.Namespace, c.Secrets, c.OldObject, SecretsComplete: true), options));

        if (pod["metadata"] is JsonObject metadata && pod["spec"]?["containers"] is JsonArray)
        {
            var expected = 6 + (metadata["labels"] is JsonObject ? 2 : 0) + (metadata["annotations"] is JsonObject ? 1 : 0);
            changed.Should().BeGreaterThanOrEqualTo(expected,
                "name, generateName, ownerReferences, hostname, subdomain, an image and the per-pod labels and annotation were changed");
        }

        Decision(variant).Should().Be(Decision(pod));
    }

    // Sets every field of AdmissionMemo.IgnoredPodFields whose parent map exists (so no label or annotation
    // map is added, which would change the pod's shape), and for "*" over a map every member it stands for
    // (the existing labels and annotations outside the egress-tls.io/ prefix); returns how many values were set.
    private static int ChangeIgnoredFields(JsonObject pod)
    {
        var changed = 0;
        void Set(JsonNode? node, string[] path, int depth)
        {
            if (path[depth] == "*" && node is JsonObject members)
            {
                foreach (var key in members.Select(m => m.Key).Where(AdmissionMemo.IgnoredMember).ToList())
                {
                    if (depth == path.Length - 1)
                    {
                        members[key] = $"changed-{string.Join('.', path)}-{key}";
                        changed++;
                    }
                    else
                    {
                        Set(members[key], path, depth + 1);
                    }
                }
            }
            else if (depth == path.Length - 1)
            {
                if (node is JsonObject parent)
                {
                    parent[path[depth]] = $"changed-{string.Join('.', path)}";
                    changed++;
                }
            }
            else if (path[depth] == "*")
            {
                foreach (var item in node as JsonArray ?? [])
                {
                    Set(item, path, depth + 1);
                }
            }
            else if (node is JsonObject map)
            {
                Set(map[path[depth]], path, depth + 1);
            }
        }

        foreach (var path in AdmissionMemo.IgnoredPodFields)
        {
            Set(pod, path, 0);
        }

        return changed;
    }

    private static string Describe(RenderResult result) => result switch
    {
        Mutated m => "mutated\n" + AdmissionResponseWriter.PatchJson(m.Patch) + "\n"
            + string.Join("\n", m.Objects.Select(o => o.Manifest.ToJsonString())) + "\n" + string.Join("\n", m.Warnings),
        Rejected r => "rejected\n" + string.Join("\n", r.Errors.Select(e => e.ToString())),
        Skipped s => "skipped " + s.Reason + " " + s.Detail,
        _ => result.GetType().Name,
    };

    // Values shared by many operations are written from their JSON, encoded once (SharedValue): the patch
    // must be the one their nodes give.
    [Theory]
    [MemberData(nameof(Cases))]
    public void The_patch_written_from_shared_values_json_is_the_patch_their_nodes_give(string name)
    {
        var c = Load(name);
        var result = Renderer.Render(new RenderInput(c.Object, c.Operation, c.Namespace, c.Secrets, c.OldObject, SecretsComplete: true),
            RenderOptionsFactory.Create(c.Config));
        if (result is not Mutated { Patch.IsEmpty: false } mutated)
        {
            return;
        }

        var fromNodes = mutated.Patch.Select(op => op with { EncodedValue = default }).ToImmutableArray();

        AdmissionResponseWriter.PatchJson(mutated.Patch).Should().Be(AdmissionResponseWriter.PatchJson(fromNodes));
        Encoding.UTF8.GetString(AdmissionResponseWriter.EncodePatch(mutated.Patch)).Should().Be(Encoding.UTF8.GetString(AdmissionResponseWriter.EncodePatch(fromNodes)));
    }

    [Fact]
    public void A_shared_value_is_written_from_its_json()
    {
        var shared = new SharedValue(new JsonObject { ["name"] = "SSL_CERT_FILE", ["value"] = "/etc/egress-tls/trust/ca-bundle.crt" });
        var builder = new PatchBuilder(JsonNode.Parse("""{"spec":{"containers":[{"name":"a","env":[]}]}}""")!.AsObject());

        builder.Append(["spec", "containers", "0", "env"], shared);
        var operation = builder.Operations.Single();

        operation.Value.Should().BeSameAs(shared.Node);
        Encoding.UTF8.GetString(operation.EncodedValue.Span).Should().Be(shared.Node.ToJsonString());
        var tampered = operation with { EncodedValue = Encoding.UTF8.GetBytes("""{"from":"json"}""") };
        AdmissionResponseWriter.PatchJson([tampered]).Should().Be("""[{"op":"add","path":"/spec/containers/0/env/-","value":{"from":"json"}}]""");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_webhook_answers_with_the_core_patch(string name)
    {
        var c = Load(name);
        var options = RenderOptionsFactory.Create(c.Config);
        var expected = Renderer.Render(new RenderInput(c.Object, c.Operation, c.Namespace, c.Secrets,
            c.OldObject, SecretsComplete: true), options);
        var cluster = new FakeCluster { Namespace = (_, _) => Task.FromResult(c.Namespace), Secrets = c.Secrets };
        await using var server = await WebhookServer.StartAsync(c.Config, standalone: false, services: s =>
        {
            s.Replace(ServiceDescriptor.Singleton<Kubernetes.IAdmissionContextReader>(cluster));
            s.Replace(ServiceDescriptor.Singleton<Kubernetes.IDesiredStateApplier>(cluster));
        });
        var op = c.Operation.ToString().ToUpperInvariant();
        var (group, version) = SplitApiVersion((string)c.Object["apiVersion"]!);
        var kind = (string)c.Object["kind"]!;
        var resource = kind == "Pod" ? "pods" : "providers";
        var review = Reviews.Request("uid-" + name.Replace('/', '-'), group, version, kind, resource, op, c.Namespace.Name,
            (string?)c.Object["metadata"]?["name"] ?? "", (JsonObject)c.Object.DeepClone(), (JsonObject?)c.OldObject?.DeepClone(), c.DryRun);

        var response = await ClusterModeTests.PostAsync(server, review);

        switch (expected)
        {
            case Mutated mutated:
                response["allowed"]!.GetValue<bool>().Should().BeTrue(name);
                if (mutated.Patch.IsEmpty)
                {
                    response.ContainsKey("patch").Should().BeFalse(name);
                }
                else
                {
                    Encoding.UTF8.GetString(Convert.FromBase64String(response["patch"]!.GetValue<string>()))
                        .Should().Be(AdmissionResponseWriter.PatchJson(mutated.Patch), name);
                }

                (cluster.Applied.Count == 1).Should().Be(!c.DryRun && !mutated.Objects.IsEmpty, $"{name}: applied unless dry-run");
                break;
            case Rejected rejected:
                response["allowed"]!.GetValue<bool>().Should().BeFalse(name);
                response["status"]!["code"]!.GetValue<int>().Should().Be(403);
                response["status"]!["message"]!.GetValue<string>().Should().Be(string.Join("; ", rejected.Errors.Select(e => e.ToString())));
                break;
            case Skipped:
                response["allowed"]!.GetValue<bool>().Should().BeTrue(name);
                response.ContainsKey("patch").Should().BeFalse(name);
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Render_prints_the_object_the_core_patch_makes(string name)
    {
        var c = Load(name);
        if (c.Operation != AdmissionOperation.Create)
        {
            // render previews creation only; UPDATE cases are covered by the webhook path above.
            c.Operation.Should().Be(AdmissionOperation.Update);
            return;
        }

        var options = RenderOptionsFactory.Create(c.Config);
        var expected = Renderer.Render(new RenderInput(c.Object, c.Operation, c.Namespace, c.Secrets, SecretsComplete: false), options);
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), JsonSerializer.Serialize(c.Config, ConfigLoader.SerializerOptions));
        File.WriteAllText(dir.File("input.yaml"), Yaml.WriteStream(c.Documents));
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await Cli.RunAsync(["render", "-f", dir.File("input.yaml"), "--config", dir.File("config.json")],
            TextReader.Null, stdout, stderr, _ => null);

        code.Should().Be(expected is Rejected ? 1 : 0, $"{name}: {stderr}");
        var printed = Yaml.ParseStream(stdout.ToString()).Cast<JsonObject>()
            .Single(d => (string?)d["kind"] == (string?)c.Object["kind"] && (string?)d["metadata"]?["name"] == (string?)c.Object["metadata"]?["name"]);
        var want = expected is Mutated m ? JsonPatch.Apply(c.Object, m.Patch) : c.Object;
        JsonNode.DeepEquals(printed, want).Should().BeTrue($"{name}:\nprinted {printed.ToJsonString()}\nwant    {want!.ToJsonString()}");
    }

    private sealed record Case(
        JsonObject Object, JsonObject? OldObject, AdmissionOperation Operation, NamespaceInfo Namespace,
        ImmutableDictionary<string, SecretSummary> Secrets, bool DryRun, WebhookConfig Config, List<JsonNode?> Documents);

    private static (string Group, string Version) SplitApiVersion(string apiVersion) =>
        apiVersion.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0
            ? (apiVersion[..slash], apiVersion[(slash + 1)..])
            : ("", apiVersion);

    private static Case Load(string name)
    {
        var documents = Yaml.ParseStream(File.ReadAllText(Path.Combine(TestData, name + ".yaml"))).Cast<JsonObject>().ToList();
        var context = documents.FirstOrDefault(d => (string?)d["kind"] == "RenderCase") ?? new JsonObject();
        var nsDoc = documents.FirstOrDefault(d => (string?)d["kind"] == "Namespace");
        // The admitted object is the last document; for UPDATE the one before it (when there is one) is the old object,
        // as in the core's golden harness.
        var objects = documents.Where(d => (string?)d["kind"] is not ("RenderCase" or "Namespace" or "Secret")).ToList();
        var obj = objects[^1];
        var operation = Enum.Parse<AdmissionOperation>((string?)context["operation"] ?? "CREATE", ignoreCase: true);
        var old = operation == AdmissionOperation.Update ? (objects.Count > 1 ? objects[^2] : obj) : null;
        var nsName = (string?)nsDoc?["metadata"]?["name"] ?? (string?)obj["metadata"]?["namespace"] ?? "default";
        var ns = new NamespaceInfo(nsName, Map(nsDoc?["metadata"]?["labels"]), Map(nsDoc?["metadata"]?["annotations"]));
        var secrets = documents.Where(d => (string?)d["kind"] == "Secret").ToImmutableDictionary(
            s => (string)s["metadata"]!["name"]!,
            s => new SecretSummary((string)s["metadata"]!["name"]!, (string?)s["type"] ?? "Opaque",
                ImmutableSortedSet.CreateRange(StringComparer.Ordinal, new[] { s["data"], s["stringData"] }.OfType<JsonObject>().SelectMany(d => d.Select(kv => kv.Key)))));
        var config = new WebhookConfig();
        if (context["options"] is JsonObject overrides)
        {
            if (overrides["ciliumVersion"] is JsonValue version)
            {
                config = config with { Cilium = config.Cilium with { Version = (string)version! } };
            }

            if (overrides["excludedNamespaces"] is JsonArray excluded)
            {
                config = config with { ExcludedNamespaces = [.. excluded.Select(e => (string)e!)] };
            }

            if (overrides["clusterwideEnvoyConfig"] is JsonValue clusterwide)
            {
                config = config with { Cilium = config.Cilium with { ClusterwideEnvoyConfig = clusterwide.GetValue<bool>() } };
            }

            if (overrides["notificationControllerSelector"] is JsonObject selector)
            {
                config = config with { Flux = config.Flux with { NotificationControllerSelector = Map(selector) } };
            }

            if (overrides["trustMountPath"] is JsonValue mount)
            {
                config = config with { TrustBundle = config.TrustBundle with { MountPath = (string)mount! } };
            }

            if (overrides["interceptGroups"] is JsonArray groups)
            {
                config = config with
                {
                    InterceptGroups = [.. groups.OfType<JsonObject>().Select(g => new InterceptGroupConfig
                    {
                        Name = (string)g["name"]!,
                        Hosts = [.. (g["hosts"] as JsonArray ?? []).Select(h => (string)h!)],
                        NamespaceSelector = new LabelSelectorConfig { MatchLabels = Map(g["namespaceSelector"]?["matchLabels"]) },
                    })],
                };
            }
        }

        return new Case(obj, old, operation, ns, secrets,
            context["dryRun"] is JsonValue dry && dry.GetValue<bool>(), config,
            [.. documents.Where(d => (string?)d["kind"] != "RenderCase").Select(d => d.DeepClone())]);
    }

    private static ImmutableSortedDictionary<string, string> Map(JsonNode? node) =>
        node is JsonObject obj
            ? ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, obj.Select(kv => KeyValuePair.Create(kv.Key,
                kv.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? (string)v! : kv.Value?.ToJsonString() ?? "")))
            : ImmutableSortedDictionary<string, string>.Empty;
}
