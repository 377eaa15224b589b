using System.Collections.Immutable;
using System.Text;
using EgressTls.Core.Cilium;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;
using EgressTls.Core.Serialization;

namespace EgressTls.Core.Tests.Cilium;

/// <summary>1,000 namespaces with 3 profiles each: byte-identical output across runs, object counts
/// proportional to profiles, and leaf Secrets shared by every profile with the same names.</summary>
public class CiliumDeterminismTests
{
    private const int Namespaces = 1000;

    [Fact]
    public void Three_thousand_profiles_generate_byte_identical_YAML_twice_with_proportional_counts_and_shared_leaves()
    {
        var options = new RenderOptions { Cilium = new CiliumTarget { Version = new Version(1, 17) } };
        var profiles = Profiles().ToList();
        profiles.Should().HaveCount(3 * Namespaces);

        var first = profiles.Select(p => CiliumObjects.Generate(p, options)).ToList();
        var second = profiles.Select(p => CiliumObjects.Generate(p, options)).ToList();

        Write(first).Should().Be(Write(second));
        first.Should().OnlyContain(g => g.Errors.IsEmpty && !g.Warnings.IsEmpty);

        // Per profile kind a fixed number of objects: interception = 2 Secrets + CNP; mTLS = 2 Secrets + CEC + CNP.
        first.Sum(g => g.Objects.Length).Should().Be(Namespaces * (3 + 3 + 4));
        first.SelectMany(g => g.Objects).Count(o => o.Kind == "CiliumNetworkPolicy").Should().Be(3 * Namespaces);
        first.SelectMany(g => g.Objects).Count(o => o.Kind == "CiliumEnvoyConfig").Should().Be(Namespaces);

        // Leaves depend only on the names: two name sets, so two distinct leaf Secrets for 2,000 profiles.
        var leaves = first.SelectMany(g => g.Objects).Where(o => o.Content is LeafCertificateContent).ToList();
        leaves.Should().HaveCount(2 * Namespaces);
        leaves.Select(o => $"{o.Namespace}/{o.Name}").Distinct().Should().HaveCount(2);
        leaves.DistinctBy(o => $"{o.Namespace}/{o.Name}").Select(o => Yaml.Write(o.Manifest)).Should().OnlyHaveUniqueItems();

        // Per-namespace objects never collide: every CNP, CEC and client-cert copy has its own name.
        first.SelectMany(g => g.Objects).Where(o => o.Kind != "Secret" || o.Content is CopiedSecretContent)
            .Select(o => $"{o.Kind}/{o.Namespace}/{o.Name}").Should().OnlyHaveUniqueItems();
    }

    private static IEnumerable<EgressProfile> Profiles()
    {
        var github = new InterceptSpec([new HostPort("*.github.com", 443), new HostPort("github.com", 443)], null, null);
        var facebook = new InterceptSpec([new HostPort("www.facebook.com", 443)],
            [new HttpRule("GET", "/cucumber", null, ["dada: dada"])], null);
        for (var i = 0; i < Namespaces; i++)
        {
            var ns = $"team-{i:D4}";
            yield return Profile(ns, "gh", github, [], OtherEgress.Allow);
            yield return Profile(ns, "fb", facebook, [], OtherEgress.Deny);
            yield return Profile(ns, "lab", null, [new MtlsDestination(new HostPort("172.18.0.4", 8083), "tls-client-cert", "lab-ca", null, true)], OtherEgress.Allow);
        }
    }

    private static EgressProfile Profile(string ns, string kind, InterceptSpec? intercept, ImmutableArray<MtlsDestination> mtls, OtherEgress otherEgress)
    {
        var id = Naming.ShortHash($"{ns}/{kind}");
        return new EgressProfile(ns, intercept, mtls, otherEgress,
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Naming.ProfileLabel, id)]), id);
    }

    private static string Write(List<CiliumGeneration> generations)
    {
        var builder = new StringBuilder();
        foreach (var generation in generations)
        {
            builder.Append(CiliumCase.Write(generation));
        }

        return builder.ToString();
    }
}
