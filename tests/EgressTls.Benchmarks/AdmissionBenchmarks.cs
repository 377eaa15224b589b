using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using EgressTls.Core;
using EgressTls.Core.Rendering;
using EgressTls.LoadBench.Workload;

namespace EgressTls.Benchmarks;

/// <summary>
/// The admission core on the pods of the load benchmark (README, "Performance"): annotation parsing,
/// Render, Render plus the patch as the host writes it, and one whole admission without HTTP (review
/// bytes in, response bytes out) for the allocations per admission. The namespace is opted in and the
/// Secrets are assumed to exist (standalone), so nothing is fetched.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class AdmissionBenchmarks
{
    private static readonly RenderOptions Options = new();
    private static readonly NamespaceInfo Namespace = new(
        ReviewBodies.Namespace,
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Naming.EnabledLabel, "true")]),
        ImmutableSortedDictionary<string, string>.Empty);

    private JsonObject pod = null!;
    private RenderInput input = null!;
    private byte[] review = [];

    /// <summary>typical (~5 KiB review, 2 containers, interception with HTTP rules), large (~32 KiB,
    /// 11 containers, interception and mTLS), unannotated (nothing to do).</summary>
    [Params("typical", "large", "unannotated")]
    public string Pod { get; set; } = "typical";

    [GlobalSetup]
    public void Setup()
    {
        pod = Pod switch
        {
            "typical" => ReviewBodies.TypicalPod(),
            "large" => ReviewBodies.LargePod(),
            _ => ReviewBodies.UnannotatedPod(),
        };
        input = new RenderInput(pod, AdmissionOperation.Create, Namespace, ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false);
        review = ReviewBodies.Review(pod.DeepClone().AsObject(), "Pod", "pods", "");
        if (Admission().Length == 0)
        {
            throw new InvalidOperationException("the admission produced no response");
        }
    }

    /// <summary>Effective annotations resolved and parsed (the pre-step the host runs to know which Secrets to read).</summary>
    [Benchmark]
    public ImmutableSortedSet<string> ParseAnnotations() => Renderer.ReferencedSecretNames(pod, Namespace, Options);

    /// <summary>The whole decision: parse, profile, Cilium objects, trust injection, patch operations.</summary>
    [Benchmark]
    public RenderResult Render() => Renderer.Render(input, Options);

    /// <summary>Render, then the patch as RFC 6902 JSON in base64 (what the AdmissionReview response carries).</summary>
    [Benchmark]
    public string RenderAndPatch() => PatchBase64(Renderer.Render(input, Options));

    /// <summary>
    /// One admission as the host does it, minus HTTP: parse the review bytes into nodes, resolve the
    /// referenced Secrets, render, write the response. [MemoryDiagnoser] gives the allocations per admission.
    /// </summary>
    [Benchmark]
    public byte[] Admission()
    {
        var root = JsonNode.Parse(review)!.AsObject();
        var request = root["request"]!.AsObject();
        var obj = request["object"]!.AsObject();
        _ = Renderer.ReferencedSecretNames(obj, Namespace, Options);
        var result = Renderer.Render(new RenderInput(obj, AdmissionOperation.Create, Namespace, ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false), Options);
        var response = new JsonObject { ["uid"] = (string?)request["uid"], ["allowed"] = result is not Rejected };
        if (PatchBase64(result) is { Length: > 0 } patch)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = patch;
        }

        var answer = new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response };
        return JsonSerializer.SerializeToUtf8Bytes(answer);
    }

    private static string PatchBase64(RenderResult result)
    {
        if (result is not Mutated { Patch.IsEmpty: false } mutated)
        {
            return "";
        }

        var array = new JsonArray();
        foreach (var op in mutated.Patch)
        {
            var item = new JsonObject { ["op"] = op.Op, ["path"] = op.Path };
            if (op.Value is not null)
            {
                item["value"] = op.Value.DeepClone();
            }

            array.Add(item);
        }

        return Convert.ToBase64String(Encoding.UTF8.GetBytes(array.ToJsonString()));
    }
}
