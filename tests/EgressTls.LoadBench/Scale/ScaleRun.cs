using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;
using EgressTls.LoadBench.Workload;

namespace EgressTls.LoadBench.Scale;

/// <summary>
/// The scale run: admit many pods over many namespaces through the core <see cref="Renderer"/> (what
/// every admission runs) and count the distinct objects they need. Pods of one profile share that
/// profile's objects, so the count must grow with namespaces x profiles, not with pods: the run first
/// renders one pod per profile, then every pod, and fails when the second count is larger. It also
/// fails when one object name is rendered with two different contents (names derive from contents).
/// </summary>
public static class ScaleRun
{
    public static int Run(BenchOptions options, TextWriter output)
    {
        var renderOptions = new RenderOptions();
        var objects = new Dictionary<string, string>(StringComparer.Ordinal);
        var conflicts = new List<string>();
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        long patchOps = 0;
        var templates = Enumerable.Range(0, options.Profiles).Select(k => ReviewBodies.TypicalPod("ns", Annotations(k)).ToJsonString()).ToArray();
        var namespaces = Enumerable.Range(0, options.Namespaces).Select(n => new NamespaceInfo(
            $"team-{n:0000}",
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Naming.EnabledLabel, "true")]),
            ImmutableSortedDictionary<string, string>.Empty)).ToArray();

        output.WriteLine($"scale: {options.Pods} pods over {options.Namespaces} namespaces, {options.Profiles} profiles per namespace, core Renderer in process; {Stats()}");
        var firstPods = options.Namespaces * options.Profiles;
        var renderTime = TimeSpan.Zero;
        var wall = Stopwatch.StartNew();
        var afterFirst = 0;
        for (var i = 0; i < options.Pods; i++)
        {
            // Pod i: namespace i mod N, profile (i div N) mod P, so the first N x P pods cover every profile once.
            var ns = namespaces[i % options.Namespaces];
            var profile = i / options.Namespaces % options.Profiles;
            var pod = (JsonObject)JsonNode.Parse(templates[profile])!;
            pod["metadata"]!["namespace"] = ns.Name;
            pod["metadata"]!["name"] = $"checkout-{i}";

            var started = Stopwatch.GetTimestamp();
            var result = Renderer.Render(new RenderInput(pod, AdmissionOperation.Create, ns, ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false), renderOptions);
            renderTime += Stopwatch.GetElapsedTime(started);

            var outcome = result.GetType().Name;
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            if (result is Mutated mutated)
            {
                patchOps += mutated.Patch.Length;
                foreach (var generated in mutated.Objects)
                {
                    var key = $"{generated.Kind} {generated.Namespace}/{generated.Name}";
                    var digest = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(generated.Manifest.ToJsonString() + "|" + ContentKey(generated.Content))));
                    if (objects.TryGetValue(key, out var seen))
                    {
                        if (seen != digest && conflicts.Count < 10)
                        {
                            conflicts.Add(key);
                        }
                    }
                    else
                    {
                        objects[key] = digest;
                    }
                }
            }
            else if (result is Rejected rejected && outcomes[outcome] == 1)
            {
                output.WriteLine($"  rejected: {string.Join("; ", rejected.Errors)}");
            }

            if (i + 1 == Math.Min(firstPods, options.Pods))
            {
                afterFirst = objects.Count;
                output.WriteLine($"after the first pod of each profile ({i + 1} pods): {afterFirst} distinct objects");
            }
        }

        wall.Stop();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"after all {options.Pods} pods: {objects.Count} distinct objects ({string.Join(", ", objects.Keys.GroupBy(k => k[..k.IndexOf(' ', StringComparison.Ordinal)]).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"))})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"outcomes: {string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Value} {o.Key}"))}; {patchOps / (double)Math.Max(1, options.Pods):0.0} patch operations per pod"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"time: {wall.Elapsed.TotalSeconds:0.00} s in all ({wall.Elapsed.TotalMicroseconds / options.Pods:0} us/pod with parsing), Render alone {renderTime.TotalMicroseconds / options.Pods:0} us/pod; {Stats()}"));

        var failed = false;
        if (objects.Count != afterFirst)
        {
            output.WriteLine($"FAILED: the objects grew with pods ({afterFirst} -> {objects.Count}), not only with profiles");
            failed = true;
        }

        if (conflicts.Count > 0)
        {
            output.WriteLine($"FAILED: one name, two contents: {string.Join(", ", conflicts)}");
            failed = true;
        }

        if (!outcomes.ContainsKey(nameof(Mutated)))
        {
            output.WriteLine("FAILED: no pod was mutated");
            failed = true;
        }

        return failed ? 1 : 0;
    }

    /// <summary>Profile <paramref name="k"/> of a namespace: interception with an allow-list, plain interception, or mTLS.</summary>
    private static JsonObject Annotations(int k) => (k % 3) switch
    {
        0 => new JsonObject
        {
            ["egress-tls.io/intercept"] = $"api-{k}.stripe.example, *.paypal.example",
            ["egress-tls.io/intercept-http-rules"] = "[{\"method\":\"POST\",\"path\":\"/v1/.*\"}]",
            ["egress-tls.io/other-egress"] = "deny",
        },
        1 => new JsonObject { ["egress-tls.io/intercept"] = $"api-{k}.github.example" },
        _ => new JsonObject { ["egress-tls.io/mtls"] = $"ledger-{k}.internal.example:8443 cert=ledger-client ca=ledger-ca" },
    };

    // Records print ImmutableArray members by type name only: spell the content out.
    private static string ContentKey(ObjectContent? content) => content switch
    {
        null => "",
        LeafCertificateContent leaf => $"leaf {string.Join(',', leaf.DnsNames)} {string.Join(',', leaf.IpAddresses)}",
        CopiedSecretContent copy => $"copy {copy.SourceNamespace}/{copy.SourceName} {string.Join(',', copy.Keys)}",
        _ => content.ToString() ?? "",
    };

    private static string Stats() => string.Create(CultureInfo.InvariantCulture,
        $"working set {Environment.WorkingSet / 1048576.0:0.0} MiB, managed heap {GC.GetTotalMemory(false) / 1048576.0:0.0} MiB, {Targets.ProcessStats.Load()}");
}
