using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Cilium;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;
using EgressTls.Core.Tests.Support;

namespace EgressTls.Core.Tests.Injection;

/// <summary>How the trust injection recognises what it wrote in a pod the API server gives back.</summary>
public class TrustInjectorTests
{
    private const string NotOurs = "is not the egress-tls trust bundle";

    private static readonly RenderOptions Options = new();

    private static readonly NamespaceInfo OptedIn = new(
        "team-a",
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/enabled", "true")]),
        ImmutableSortedDictionary<string, string>.Empty);

    private static CiliumGeneration Nothing(EgressProfile profile, RenderOptions options) => new([], [], []);

    private static Mutated Render(JsonObject pod) =>
        Renderer.Render(new RenderInput(pod, AdmissionOperation.Create, OptedIn, ImmutableDictionary<string, SecretSummary>.Empty), Options, Nothing)
            .Should().BeOfType<Mutated>().Subject;

    // A pod with one container, rendered once and patched: what egress-tls wrote, before the API server defaults it.
    private static JsonObject Injected(bool systemPaths)
    {
        var pod = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","annotations":{"egress-tls.io/inject-ca":"true"}},
             "spec":{"containers":[{"name":"app","image":"alpine:3.20"}]}}
            """)!.AsObject();
        pod["metadata"]!["annotations"]!["egress-tls.io/ca-system-paths"] = systemPaths ? "true" : "false";
        return JsonPatch.Apply(pod, Render(pod).Patch);
    }

    private static JsonObject Volume(JsonObject pod, string name) =>
        pod["spec"]!["volumes"]!.AsArray().OfType<JsonObject>().Single(v => (string?)v["name"] == name);

    [Fact]
    public void A_trust_volume_is_recognised_with_the_values_the_API_server_defaults_and_not_with_other_values()
    {
        // kube-apiserver defaults the pod after each mutating webhook (defaultMode 420, 0644); optional false is
        // what absent means. Anything else egress-tls does not write makes the volume someone else's.
        (string Change, Action<JsonObject> Apply, bool Ours)[] cases =
        [
            ("defaultMode 420", c => c["defaultMode"] = 420, true),
            ("defaultMode 420 and optional false", c => { c["defaultMode"] = 420; c["optional"] = false; }, true),
            ("defaultMode null", c => c["defaultMode"] = null, true),
            ("defaultMode 256", c => c["defaultMode"] = 256, false),
            ("optional true", c => c["optional"] = true, false),
            ("another ConfigMap", c => c["name"] = "corp-certs", false),
            ("items", c => c["items"] = new JsonArray(new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" }), false),
        ];

        foreach (var (change, apply, ours) in cases)
        {
            var pod = Injected(systemPaths: false);
            apply(Volume(pod, "egress-tls-trust")["configMap"]!.AsObject());

            var result = Render(pod);

            if (ours)
            {
                result.Patch.Should().BeEmpty(change);
                result.Warnings.Should().BeEmpty(change);
                result.Objects.Should().Contain(o => o.Kind == "ConfigMap", change);
            }
            else
            {
                result.Warnings.Should().Contain(w => w.Contains(NotOurs, StringComparison.Ordinal), change);
            }
        }
    }

    [Fact]
    public void The_system_trust_volume_is_recognised_by_its_items_as_written_with_the_defaulted_mode()
    {
        (string Change, Action<JsonObject> Apply, bool Ours)[] cases =
        [
            ("defaultMode 420", c => c["defaultMode"] = 420, true),
            ("an item's mode", c => { c["defaultMode"] = 420; c["items"]![0]!["mode"] = 256; }, false),
            ("items reordered", c => c["items"] = new JsonArray([.. c["items"]!.AsArray().Reverse().Select(i => i!.DeepClone())]), false),
            ("an item less", c => c["items"]!.AsArray().RemoveAt(3), false),
            ("no items", c => c.Remove("items"), false),
        ];

        foreach (var (change, apply, ours) in cases)
        {
            var pod = Injected(systemPaths: true);
            apply(Volume(pod, "egress-tls-system-trust")["configMap"]!.AsObject());

            var result = Render(pod);

            if (ours)
            {
                result.Patch.Should().BeEmpty(change);
                result.Warnings.Should().BeEmpty(change);
            }
            else
            {
                result.Warnings.Should().Contain(w => w.Contains("egress-tls-system-trust that " + NotOurs, StringComparison.Ordinal), change);
                result.Patch.Should().BeEmpty("the bundle volume and mounts are there; the system mounts are left out with the warning");
            }
        }
    }

    [Fact]
    public void A_container_added_after_the_API_server_defaulted_the_pod_gets_the_mount_and_variables()
    {
        var pod = PodDefaults.Apply(Injected(systemPaths: true));
        pod["spec"]!["containers"]!.AsArray().Add(new JsonObject { ["name"] = "sidecar", ["image"] = "envoyproxy/envoy:v1.31" });

        var result = Render(pod);

        result.Warnings.Should().NotContain(w => w.Contains(NotOurs, StringComparison.Ordinal));
        result.Patch.Should().OnlyContain(p => p.Path.StartsWith("/spec/containers/1/", StringComparison.Ordinal));
        result.Patch.Count(p => p.Path == "/spec/containers/1/volumeMounts/-").Should().Be(3);
        result.Patch.Count(p => p.Path == "/spec/containers/1/env/-").Should().Be(7);
        result.Objects.Should().Contain(o => o.Kind == "ConfigMap");
    }

    [Fact]
    public void A_mount_of_part_of_the_trust_volume_is_not_taken_for_the_trust_mount_and_an_empty_subPath_is_no_part()
    {
        // subPathExpr is subPath with variables expanded: such a mount never sees the ConfigMap's updates.
        var partial = Injected(systemPaths: false);
        partial["spec"]!["containers"]![0]!["volumeMounts"]![0]!["subPathExpr"] = "$(POD_NAME)";
        var whole = Injected(systemPaths: false);
        whole["spec"]!["containers"]![0]!["volumeMounts"]![0]!["subPath"] = string.Empty;

        Render(partial).Warnings.Should().Contain(w => w.Contains("/etc/egress-tls/trust is already mounted", StringComparison.Ordinal));
        var again = Render(whole);
        again.Patch.Should().BeEmpty();
        again.Warnings.Should().BeEmpty();
    }
}
