using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes.Reconciliation;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>Pods as admission leaves them: rendered once as a CREATE and patched.</summary>
internal static class Workloads
{
    public static readonly RenderOptions Options = new() { Cilium = new CiliumTarget() };

    public static JsonObject Namespace(string name, bool optedIn = true) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = optedIn ? new JsonObject { [Naming.EnabledLabel] = "true" } : new JsonObject(),
        },
    };

    public static NamespaceInfo Info(string name) => new(name,
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Naming.EnabledLabel, "true")]),
        ImmutableSortedDictionary<string, string>.Empty);

    /// <summary>A pod intercepting <paramref name="hosts"/>, as it looks after admission mutated it.</summary>
    public static JsonObject MutatedPod(string ns, string name, string hosts, string annotation = "intercept")
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["annotations"] = new JsonObject { [Naming.Prefix + annotation] = hosts },
            },
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "busybox" }),
            },
        };
        var result = Renderer.Render(new RenderInput(pod, AdmissionOperation.Create, Info(ns), ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false), Options);
        var mutated = result.Should().BeOfType<Mutated>().Subject;
        foreach (var op in mutated.Patch)
        {
            Apply(pod, op.Path, op.Value);
        }

        return pod;
    }

    /// <summary>A Flux Provider asking for mTLS, as it looks after admission mutated it.</summary>
    public static JsonObject MutatedProvider(string ns, string name)
    {
        var provider = new JsonObject
        {
            ["apiVersion"] = "notification.toolkit.fluxcd.io/v1beta3",
            ["kind"] = "Provider",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["uid"] = "0b0e8a55-0000-4000-8000-000000000001",
                ["annotations"] = new JsonObject { [Naming.Prefix + "mtls"] = "cert=alerts-client-cert verify=false" },
            },
            ["spec"] = new JsonObject { ["type"] = "generic", ["address"] = "https://172.18.0.4:8083/hooks/flux" },
        };
        var result = Renderer.Render(new RenderInput(provider, AdmissionOperation.Create, Info(ns), ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false), Options);
        foreach (var op in result.Should().BeOfType<Mutated>().Subject.Patch)
        {
            Apply(provider, op.Path, op.Value);
        }

        return provider;
    }

    public static WorkloadObject ToWorkload(JsonObject pod, string? phase = null)
    {
        var meta = pod["metadata"]!;
        return new WorkloadObject((string)pod["kind"]!, (string)meta["namespace"]!, (string)meta["name"]!, (string?)meta["uid"],
            Map(meta["labels"]), Map(meta["annotations"]), phase, () => pod.DeepClone().AsObject());
    }

    public static ImmutableSortedDictionary<string, string> Map(JsonNode? node) =>
        (node as JsonObject ?? []).ToImmutableSortedDictionary(p => p.Key, p => (string)p.Value!, StringComparer.Ordinal);

    // add/replace only (what admission patches use), "-" appends.
    private static void Apply(JsonObject root, string path, JsonNode? value)
    {
        var parts = path.Split('/').Skip(1).Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        JsonNode parent = root;
        foreach (var part in parts[..^1])
        {
            parent = parent is JsonArray a ? a[int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)]! : parent[part]!;
        }

        var last = parts[^1];
        if (parent is JsonArray array)
        {
            if (last == "-")
            {
                array.Add(value?.DeepClone());
            }
            else
            {
                array.Insert(int.Parse(last, System.Globalization.CultureInfo.InvariantCulture), value?.DeepClone());
            }
        }
        else
        {
            parent.AsObject()[last] = value?.DeepClone();
        }
    }
}
