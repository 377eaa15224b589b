using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Cilium;
using EgressTls.Core.Injection;
using EgressTls.Core.Rendering;
using EgressTls.Core.Serialization;
using EgressTls.Core.Tests.Support;

namespace EgressTls.Core.Tests.Rendering;

/// <summary>
/// Golden cases under testdata/pods, found automatically. <c>UPDATE_GOLDEN=1</c> rewrites the goldens.
/// Each case is also re-rendered on its own output (idempotency), its patch is applied by kubectl
/// (Kubernetes' own JSON patch code), and every container of a mutated pod is checked for trust.
/// </summary>
public class GoldenTests
{
    public static TheoryData<string> Cases() => [.. GoldenCase.Names()];

    [Fact]
    public void There_are_at_least_25_cases_and_no_orphaned_golden() => GoldenChecks.HasCasesAndNoOrphanedGolden(GoldenCase.Pods, 25);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_matches_the_golden_file(string name) => GoldenChecks.MatchesGoldenFile(GoldenCase.Load(name));

    // The admission path: annotations parsed once before the Secrets are read, reused by Render (parsed
    // again only when a Secret is missing or unfit, as in mtls-secrets-invalid).
    [Theory]
    [MemberData(nameof(Cases))]
    public void Rendering_with_the_prepared_annotations_matches_the_golden_file(string name)
    {
        var golden = GoldenCase.Load(name);
        var prepared = Renderer.Prepare(golden.Input.Object, golden.Input.Namespace, golden.Options);

        var result = Renderer.Render(golden.Input, golden.Options, new CiliumGenerationCache(), prepared);

        GoldenWriter.Write(golden, result, GoldenChecks.Mutate(golden, result)).Should().Be(File.ReadAllText(golden.GoldenPath));
    }

    // The admission path: what the annotations decide was made for an earlier pod of the same workload (here
    // the same pod with another name and an env value changed) and is shared through the cache.
    [Theory]
    [MemberData(nameof(Cases))]
    public void Rendering_with_the_intent_of_an_earlier_pod_matches_the_golden_file(string name)
    {
        var golden = GoldenCase.Load(name);
        var intents = new PodIntentCache();
        var earlier = golden.Input.Object.DeepClone().AsObject();
        if (earlier["metadata"] is JsonObject metadata)
        {
            metadata["name"] = "an-earlier-pod";
        }

        var first = Renderer.Prepare(earlier, golden.Input.Namespace, golden.Options, intents, JsonSerializer.SerializeToElement(earlier));
        var element = JsonSerializer.SerializeToElement(golden.Input.Object);
        var input = golden.Input with { Object = JsonObject.Create(element)! };
        input = input with { ObjectElement = element };
        var prepared = Renderer.Prepare(input.Object, golden.Input.Namespace, golden.Options, intents, element);

        var result = Renderer.Render(input, golden.Options, new CiliumGenerationCache(), prepared);

        if (first.Intent is not null)
        {
            prepared.Intent.Should().BeSameAs(first.Intent);
        }

        GoldenWriter.Write(golden, result, GoldenChecks.Mutate(golden, result)).Should().Be(File.ReadAllText(golden.GoldenPath));
    }

    // The admission path: the pod is a node over the review's parsed JSON, which Render also reads directly.
    [Theory]
    [MemberData(nameof(Cases))]
    public void Rendering_from_the_parsed_json_matches_the_golden_file(string name)
    {
        var golden = GoldenCase.Load(name);
        var element = JsonSerializer.SerializeToElement(golden.Input.Object);
        var input = golden.Input with { Object = JsonObject.Create(element)! };
        input = input with { ObjectElement = element };
        input.ObjectElement.Should().NotBeNull();

        var result = golden.Render(input);

        GoldenWriter.Write(golden, result, GoldenChecks.Mutate(golden, result)).Should().Be(File.ReadAllText(golden.GoldenPath));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rendering_is_deterministic(string name) => GoldenChecks.RendersDeterministically(GoldenCase.Pods, name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rendering_the_mutated_pod_again_gives_an_empty_patch(string name)
    {
        var golden = GoldenCase.Load(name);
        if (golden.Render() is not Mutated first)
        {
            return;
        }

        var mutated = JsonPatch.Apply(golden.Input.Object, first.Patch);
        var again = golden.Render(golden.Input with { Object = mutated });

        var second = again.Should().BeOfType<Mutated>().Subject;
        second.Patch.Should().BeEmpty();
        second.Objects.Select(o => o.Manifest.ToJsonString()).Should().Equal(first.Objects.Select(o => o.Manifest.ToJsonString()));
    }

    // The API server defaults the pod after the patch, before a reinvocation or the next webhook sees it
    // (a ConfigMap volume's defaultMode among others), and a pod re-created from `kubectl get -o yaml` has
    // those values too: the pod is still found complete, with the same status and objects.
    [Theory]
    [MemberData(nameof(Cases))]
    public void Rendering_the_mutated_pod_again_after_the_API_servers_defaulting_gives_an_empty_patch(string name)
    {
        var golden = GoldenCase.Load(name);
        if (golden.Render() is not Mutated first)
        {
            return;
        }

        var defaulted = PodDefaults.Apply(JsonPatch.Apply(golden.Input.Object, first.Patch));
        var again = golden.Render(golden.Input with { Object = defaulted });

        var second = again.Should().BeOfType<Mutated>().Subject;
        second.Patch.Should().BeEmpty();
        second.Objects.Select(o => o.Manifest.ToJsonString()).Should().Equal(first.Objects.Select(o => o.Manifest.ToJsonString()));
        second.Warnings.Should().BeSubsetOf(first.Warnings, "what egress-tls wrote is not mistaken for what the user wrote");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Kubectl_applies_the_patch_to_the_same_pod(string name) => GoldenChecks.KubectlAppliesThePatchAsync(GoldenCase.Load(name));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_container_of_an_injected_pod_trusts_the_bundle_or_a_warning_says_why_not(string name)
    {
        var golden = GoldenCase.Load(name);
        if (golden.Render() is not Mutated m || m.Patch.IsEmpty)
        {
            return;
        }

        var pod = JsonPatch.Apply(golden.Input.Object, m.Patch);
        var status = JsonNode.Parse((string)pod["metadata"]!["annotations"]![TrustStatus.Key]!)!;
        if (status["trust"] is null)
        {
            return;
        }

        var dir = golden.Options.TrustMountPath;
        var containers = new[] { "initContainers", "containers" }
            .SelectMany(list => (pod["spec"]![list] as JsonArray ?? []).OfType<JsonObject>());
        foreach (var container in containers)
        {
            var name_ = (string)container["name"]!;
            var explained = m.Warnings.Where(w => w.Contains($"\"{name_}\"", StringComparison.Ordinal)).ToList();
            var mounted = (container["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>()
                .Any(v => (string?)v["mountPath"] == dir && (string?)v["name"] == TrustPaths.VolumeName && v["subPath"] is null);
            if (!mounted)
            {
                explained.Should().Contain(w => w.Contains(dir, StringComparison.Ordinal), $"container {name_} has no trust mount and no warning explains why");
                continue;
            }

            var env = (container["env"] as JsonArray ?? []).OfType<JsonObject>()
                .GroupBy(e => (string)e["name"]!).ToDictionary(g => g.Key, g => g.Last());
            Check("SSL_CERT_FILE", v => v == $"{dir}/ca-bundle.crt");
            Check("NODE_EXTRA_CA_CERTS", v => v == $"{dir}/ca.crt");
            Check("JAVA_TOOL_OPTIONS", v => v.Contains($"-Djavax.net.ssl.trustStore={dir}/truststore.p12", StringComparison.Ordinal));

            void Check(string variable, Func<string, bool> pointsIntoMount)
            {
                var value = env.TryGetValue(variable, out var e) ? (string?)e["value"] : null;
                if (value is null || !pointsIntoMount(value))
                {
                    explained.Should().Contain(w => w.Contains(variable, StringComparison.Ordinal), $"container {name_}: {variable} is {value ?? "unset"} and no warning explains why");
                }
            }
        }
    }

    [Fact]
    public async Task Generated_Cilium_objects_pass_the_conformance_checker()
    {
        var manifests = new JsonArray();
        foreach (var name in GoldenCase.Names())
        {
            var golden = GoldenCase.Load(name);
            if (golden.Render() is Mutated m && golden.Options.Cilium.Version == new Version(1, 17))
            {
                foreach (var o in m.Objects.Where(o => o.ApiVersion == "cilium.io/v2"))
                {
                    manifests.Add(o.Manifest.DeepClone());
                }
            }
        }

        manifests.Count.Should().BeGreaterThan(10, "the golden cases generate policies and Envoy configs");
        var file = Path.Combine(Path.GetTempPath(), $"egress-tls-admission-{Environment.ProcessId}.json");
        File.WriteAllText(file, manifests.ToJsonString());
        try
        {
            var (exitCode, stdout, stderr) = await ConformanceChecker.RunAsync("--cilium", "1.17", file);

            exitCode.Should().Be(0, $"{stdout}\n{stderr}");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
