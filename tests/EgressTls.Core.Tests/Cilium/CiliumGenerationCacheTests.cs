using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Cilium;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;
using EgressTls.Core.Serialization;

namespace EgressTls.Core.Tests.Cilium;

/// <summary>The profile memo of the admission path: a hit is the generation Generate gives, any change
/// of its inputs misses, and it holds at most its capacity.</summary>
public class CiliumGenerationCacheTests
{
    private static readonly RenderOptions Options = new();
    private static readonly InterceptSpec GitHub = new([new HostPort("*.github.com", 443), new HostPort("github.com", 443)], null, null);
    private static readonly MtlsDestination Lab = new(new HostPort("172.18.0.4", 8083), "tls-client-cert", "lab-ca", null, true);

    [Fact]
    public void A_hit_returns_the_remembered_generation_equal_to_a_fresh_one()
    {
        var cache = new CiliumGenerationCache();
        var profile = ProfileBuilder.Build("team-a", GitHub, [Lab], OtherEgress.Deny)!;

        var first = cache.Generate(profile, Options);
        var second = cache.Generate(ProfileBuilder.Build("team-a", GitHub, [Lab], OtherEgress.Deny)!, Options);

        second.Should().BeSameAs(first);
        Write(second).Should().Be(Write(CiliumObjects.Generate(profile, Options)));
        cache.Count.Should().Be(1);
    }

    [Fact]
    public void A_copy_with_other_content_is_keyed_by_its_own_content_not_the_originals()
    {
        var cache = new CiliumGenerationCache();
        var built = ProfileBuilder.Build("team-a", GitHub, [], OtherEgress.Allow)!;
        var first = cache.Generate(built, Options);

        // Same id (a hand-made copy), different content: the key must see the content that is there now.
        var copy = built with { OtherEgress = OtherEgress.Deny };
        var generation = cache.Generate(copy, Options);

        generation.Should().NotBeSameAs(first);
        Write(generation).Should().Be(Write(CiliumObjects.Generate(copy, Options)));
    }

    [Fact]
    public void Any_change_of_namespace_content_or_options_is_a_miss_with_its_own_objects()
    {
        var cache = new CiliumGenerationCache();
        var baseline = ProfileBuilder.Build("team-a", GitHub, [], OtherEgress.Allow)!;
        var first = cache.Generate(baseline, Options);

        var variants = new (EgressProfile Profile, RenderOptions Options)[]
        {
            (ProfileBuilder.Build("team-b", GitHub, [], OtherEgress.Allow)!, Options),
            (ProfileBuilder.Build("team-a", GitHub, [], OtherEgress.Deny)!, Options),
            (ProfileBuilder.Build("team-a", GitHub with { UpstreamCaSecret = "corp-ca" }, [], OtherEgress.Allow)!, Options),
            (ProfileBuilder.Build("team-a", GitHub with { HttpRules = [new HttpRule("GET", "/x", null, [])] }, [], OtherEgress.Allow)!, Options),
            (ProfileBuilder.Build("team-a", GitHub, [Lab], OtherEgress.Allow)!, Options),
            (baseline, Options with { }),
            (baseline, Options with { Cilium = new CiliumTarget { Version = new Version(1, 15) } }),
        };

        foreach (var (profile, options) in variants)
        {
            var generation = cache.Generate(profile, options);
            generation.Should().NotBeSameAs(first);
            Write(generation).Should().Be(Write(CiliumObjects.Generate(profile, options)));
        }

        cache.Count.Should().Be(1 + variants.Length);
    }

    [Fact]
    public void It_holds_at_most_its_capacity_and_forgets_the_least_recently_used()
    {
        var cache = new CiliumGenerationCache(capacity: 2);
        var a = ProfileBuilder.Build("a", GitHub, [], OtherEgress.Allow)!;
        var b = ProfileBuilder.Build("b", GitHub, [], OtherEgress.Allow)!;
        var c = ProfileBuilder.Build("c", GitHub, [], OtherEgress.Allow)!;

        var firstA = cache.Generate(a, Options);
        var firstB = cache.Generate(b, Options);
        cache.Generate(a, Options).Should().BeSameAs(firstA); // a is now the most recently used
        cache.Generate(c, Options);

        cache.Count.Should().Be(2);
        cache.Generate(a, Options).Should().BeSameAs(firstA);
        cache.Generate(b, Options).Should().NotBeSameAs(firstB);
    }

    [Fact]
    public void A_profile_not_shaped_by_the_profile_builder_is_generated_every_time()
    {
        var cache = new CiliumGenerationCache();
        var built = ProfileBuilder.Build("team-a", GitHub, [], OtherEgress.Allow)!;
        var other = built with { PodSelector = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("app", "x")]) };

        cache.Generate(other, Options).Should().NotBeSameAs(cache.Generate(other, Options));
        cache.Count.Should().Be(0);
    }

    [Fact]
    public void Render_with_the_cache_gives_the_same_result_as_without()
    {
        var cache = new CiliumGenerationCache();
        var ns = new NamespaceInfo("team-a",
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Naming.EnabledLabel, "true")]),
            ImmutableSortedDictionary<string, string>.Empty);
        RenderResult Render(string label, CiliumGenerationCache? generations)
        {
            var pod = JsonNode.Parse("""
                {"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"run":"LABEL"},"annotations":{"egress-tls.io/intercept":"github.com"}},
                 "spec":{"containers":[{"name":"app","image":"x"}]}}
                """.Replace("LABEL", label, StringComparison.Ordinal))!.AsObject();
            var input = new RenderInput(pod, AdmissionOperation.Create, ns, ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false);
            return generations is null ? Renderer.Render(input, Options) : Renderer.Render(input, Options, generations);
        }

        foreach (var label in new[] { "one", "two", "one" })
        {
            var cached = (Mutated)Render(label, cache);
            var fresh = (Mutated)Render(label, null);
            Write(cached).Should().Be(Write(fresh));
        }

        cache.Count.Should().Be(1);
    }

    private static string Write(CiliumGeneration generation) =>
        string.Join("---\n", generation.Objects.Select(o => Yaml.Write(o.Manifest) + o.Content)) + string.Join("\n", generation.Warnings) + string.Join("\n", generation.Errors);

    private static string Write(Mutated mutated) =>
        string.Join("\n", mutated.Patch.Select(p => $"{p.Op} {p.Path} {p.Value?.ToJsonString()}"))
        + string.Join("---\n", mutated.Objects.Select(o => Yaml.Write(o.Manifest) + o.Content)) + string.Join("\n", mutated.Warnings);
}
