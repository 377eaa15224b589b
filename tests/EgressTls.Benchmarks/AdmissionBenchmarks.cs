using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using EgressTls.Core;
using EgressTls.Core.Rendering;
using EgressTls.LoadBench.Workload;
using EgressTls.Webhook.Admission;
using EgressTls.Webhook.Cluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Benchmarks;

/// <summary>
/// The admission core on the pods of the load benchmark (README, "Performance"): annotation parsing,
/// Render, Render plus the patch, and one whole admission through the host's handler without HTTP (review
/// bytes in, response bytes out), cold and remembered, for the allocations per admission. The namespace is opted in and the
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
    private readonly ArrayBufferWriter<byte> output = new(64 * 1024);
    private readonly AdmissionHandler coldHandler = Handler(new AdmissionMemo(capacity: 0));
    private readonly AdmissionHandler rememberingHandler = Handler(new AdmissionMemo());

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
        if (AdmissionCold() == 0 || AdmissionRemembered() == 0 || AdmissionRemembered() == 0)
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
    /// One admission of a pod never seen before, as <c>serve --standalone</c> does it minus HTTP and TLS:
    /// the review read from its bytes, the handler (namespace, referenced Secrets, Render with the profile's
    /// remembered Cilium objects, no remembered decision), the response written. [MemoryDiagnoser] gives
    /// the allocations per cold admission (the <c>-cold</c> bodies of the load benchmark).
    /// </summary>
    [Benchmark]
    public int AdmissionCold() => Admit(coldHandler);

    /// <summary>The same with the decision remembered (pods of one ReplicaSet, the plain bodies of the load benchmark).</summary>
    [Benchmark]
    public int AdmissionRemembered() => Admit(rememberingHandler);

    private int Admit(AdmissionHandler handler)
    {
        if (!AdmissionReviewReader.TryRead(review, out var request, out var reason))
        {
            throw new InvalidOperationException(reason);
        }

        using var owned = request!;
        var outcome = handler.HandleAsync(request!, CancellationToken.None).GetAwaiter().GetResult();
        output.ResetWrittenCount();
        AdmissionResponseWriter.Write(output, request!.Uid, outcome);
        return output.WrittenCount;
    }

    private static AdmissionHandler Handler(AdmissionMemo memo)
    {
        var settings = new AdmissionSettings(Options, Standalone: true, TimeSpan.FromSeconds(4), FluxEnabled: true, 3 << 20);
        return new AdmissionHandler(settings, new CurrentRenderOptions(Options), new StandaloneAdmissionContextReader(),
            new StandaloneDesiredStateApplier(NullLogger<StandaloneDesiredStateApplier>.Instance), memo, NullLogger<AdmissionHandler>.Instance);
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
