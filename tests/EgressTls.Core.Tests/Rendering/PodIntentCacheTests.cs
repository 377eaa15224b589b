using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Cilium;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Tests.Rendering;

/// <summary>The annotation memo of the admission path: pods with the same egress-tls annotations share what
/// they decide, any change of what the parse reads misses, and it holds at most its capacity.</summary>
public class PodIntentCacheTests
{
    private static readonly RenderOptions Options = new();

    private static NamespaceInfo Namespace(string? defaultIntercept = null) => new(
        "team-a",
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/enabled", "true")]),
        defaultIntercept is null
            ? ImmutableSortedDictionary<string, string>.Empty
            : ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/intercept", defaultIntercept)]));

    private static JsonObject Pod(string annotations, string env = "1") => JsonNode.Parse($$$"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"web-","annotations":{{{annotations}}}},
         "spec":{"containers":[{"name":"app","image":"alpine","env":[{"name":"CONFIG_CHECKSUM","value":"{{{env}}}"}]}]}}
        """)!.AsObject();

    private static RenderPreparation Prepare(PodIntentCache cache, JsonObject pod, NamespaceInfo? ns = null, RenderOptions? options = null)
    {
        var element = JsonSerializer.SerializeToElement(pod);
        return Renderer.Prepare(pod, ns ?? Namespace(), options ?? Options, cache, element);
    }

    [Fact]
    public void Pods_with_the_same_egress_tls_annotations_share_one_intent_whatever_else_differs()
    {
        var cache = new PodIntentCache();
        var first = Prepare(cache, Pod("""{"egress-tls.io/intercept":"github.com","checksum/config":"a"}""", env: "1"));
        var second = Prepare(cache, Pod("""{"checksum/config":"b","egress-tls.io/intercept":"github.com"}""", env: "2"), Namespace());

        second.Intent.Should().BeSameAs(first.Intent);
        cache.Count.Should().Be(1);
    }

    [Fact]
    public void A_change_of_an_annotation_value_the_namespace_defaults_or_the_options_instance_misses()
    {
        var cache = new PodIntentCache();
        var baseline = Prepare(cache, Pod("""{"egress-tls.io/intercept":"github.com"}""")).Intent;

        var variants = new[]
        {
            Prepare(cache, Pod("""{"egress-tls.io/intercept":"api.github.com"}""")),
            Prepare(cache, Pod("""{"egress-tls.io/intercept":"github.com","egress-tls.io/other-egress":"deny"}""")),
            Prepare(cache, Pod("""{"egress-tls.io/intercept":"github.com"}"""), Namespace(defaultIntercept: "example.com")),
            Prepare(cache, Pod("""{"egress-tls.io/intercept":"github.com"}"""), Namespace() with { Name = "team-b" }),
            Prepare(cache, Pod("""{"egress-tls.io/intercept":"github.com"}"""), options: new RenderOptions()),
        };

        variants.Select(v => v.Intent).Should().OnlyHaveUniqueItems().And.NotContain(baseline);
        cache.Count.Should().Be(6);
    }

    [Fact]
    public void An_annotation_name_written_with_an_escaped_slash_is_read_as_egress_tls_own()
    {
        var cache = new PodIntentCache();
        var plain = Prepare(cache, Pod("""{"egress-tls.io/intercept":"github.com"}"""));
        using var escaped = JsonDocument.Parse("""{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{"egress-tls.io\/intercept":"github.com"}},"spec":{}}""");

        var prepared = Renderer.Prepare(JsonObject.Create(escaped.RootElement)!, Namespace(), Options, cache, escaped.RootElement);

        prepared.Intent.Should().BeSameAs(plain.Intent);
        prepared.Intent!.Request.Intercept.Should().NotBeNull();
    }

    [Fact]
    public void It_holds_at_most_its_capacity_dropping_the_least_recently_used()
    {
        var cache = new PodIntentCache(capacity: 2);
        var a = Prepare(cache, Pod("""{"egress-tls.io/intercept":"a.example.com"}""")).Intent;
        var b = Prepare(cache, Pod("""{"egress-tls.io/intercept":"b.example.com"}""")).Intent;
        Prepare(cache, Pod("""{"egress-tls.io/intercept":"a.example.com"}""")).Intent.Should().BeSameAs(a);

        Prepare(cache, Pod("""{"egress-tls.io/intercept":"c.example.com"}"""));

        cache.Count.Should().Be(2);
        Prepare(cache, Pod("""{"egress-tls.io/intercept":"a.example.com"}""")).Intent.Should().BeSameAs(a);
        Prepare(cache, Pod("""{"egress-tls.io/intercept":"b.example.com"}""")).Intent.Should().NotBeSameAs(b, "b was the least recently used");
    }

    [Fact]
    public void Capacity_zero_remembers_nothing()
    {
        var cache = new PodIntentCache(capacity: 0);
        var pod = Pod("""{"egress-tls.io/intercept":"github.com"}""");

        Prepare(cache, pod).Intent.Should().NotBeSameAs(Prepare(cache, pod).Intent);
        cache.Count.Should().Be(0);
    }

    [Fact]
    public void A_shared_intent_renders_each_pod_as_a_fresh_render_does()
    {
        var cache = new PodIntentCache();
        var generations = new CiliumGenerationCache();
        var annotations = """{"egress-tls.io/intercept":"github.com","egress-tls.io/inject-ca":"true"}""";
        Prepare(cache, Pod(annotations, env: "1"));
        var pod = Pod(annotations, env: "2");
        var input = new RenderInput(pod, AdmissionOperation.Create, Namespace(), ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false);

        var shared = Renderer.Render(input, Options, generations, Prepare(cache, pod));
        var fresh = Renderer.Render(input, Options);

        Fingerprint(shared).Should().Be(Fingerprint(fresh));
        ((Mutated)shared).Patch.Should().Contain(p => p.Path == "/metadata/annotations/egress-tls.io~1status");
    }

    private static string Fingerprint(RenderResult result) => result is Mutated m
        ? JsonSerializer.Serialize(m.Patch.Select(p => new[] { p.Op, p.Path, p.Value?.ToJsonString() })) + string.Join('\n', m.Warnings)
          + string.Join('\n', m.Objects.Select(o => o.Manifest.ToJsonString()))
        : result.ToString()!;
}
