using System.Collections.Immutable;
using EgressTls.Core.Cilium;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Tests.Cilium;

/// <summary>What the target Cilium cannot run is refused with errors and no objects.</summary>
public class CiliumConflictTests
{
    [Theory]
    [InlineData("*.github.com", "api.github.com", true)]
    [InlineData("*.github.com", "a.b.github.com", false)]
    [InlineData("*.github.com", "github.com", false)]
    [InlineData("github.com", "github.com", true)]
    [InlineData("github.com", "api.github.com", false)]
    public void A_wildcard_covers_exactly_one_label_like_Cilium_matchPattern_and_the_leaf_SAN(string pattern, string host, bool covered) =>
        CiliumConflicts.Covers(pattern, host).Should().Be(covered);

    [Theory]
    [InlineData("1.16", false)]
    [InlineData("1.17", false)]
    [InlineData("1.18", true)]
    public void Interception_and_a_listener_on_one_port_are_refused_before_1_18(string version, bool allowed)
    {
        var profile = Profile(intercept: Intercept(new HostPort("api.github.com", 443)),
            mtls: [Mtls(new HostPort("10.0.0.5", 443), "c")]);

        var generation = CiliumObjects.Generate(profile, Options(version, SecretsMode.Inline));

        if (allowed)
        {
            generation.Errors.Should().BeEmpty();
            generation.Objects.Should().NotBeEmpty();
        }
        else
        {
            generation.Objects.Should().BeEmpty();
            generation.Errors.Should().ContainSingle(e => e.Field.Contains("egress-tls.io/mtls", StringComparison.Ordinal) && e.Message.Contains("port 443", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Port_53_cannot_be_intercepted_or_redirected_before_1_18_because_the_DNS_rule_owns_it()
    {
        var profile = Profile(intercept: Intercept(new HostPort("dns.example", 53)), mtls: [Mtls(new HostPort("10.0.0.9", 53), "c")]);

        var errors = CiliumObjects.Generate(profile, Options("1.17", SecretsMode.Sds)).Errors;

        errors.Should().Contain(e => e.Field.EndsWith("intercept]", StringComparison.Ordinal) && e.Message.Contains("53", StringComparison.Ordinal));
        errors.Should().Contain(e => e.Field.EndsWith("mtls]", StringComparison.Ordinal) && e.Message.Contains("53", StringComparison.Ordinal));
    }

    [Fact]
    public void Identical_duplicate_destinations_are_merged_but_different_certificates_are_refused()
    {
        var same = Profile(mtls: [Mtls(new HostPort("hooks.example", 443), "a"), Mtls(new HostPort("hooks.example", 443), "a")]);
        var different = Profile(mtls: [Mtls(new HostPort("hooks.example", 443), "a"), Mtls(new HostPort("hooks.example", 443), "b")]);

        CiliumObjects.Generate(same, Options("1.17", SecretsMode.Sds)).Objects.Count(o => o.Kind == "Secret" && o.Content is CopiedSecretContent).Should().Be(1);
        CiliumObjects.Generate(different, Options("1.17", SecretsMode.Sds)).Errors.Should().ContainSingle()
            .Which.Message.Should().Contain("cert=a").And.Contain("cert=b");
    }

    [Fact]
    public void An_IP_address_cannot_be_intercepted_and_a_wildcard_cannot_receive_a_client_certificate()
    {
        var profile = Profile(intercept: Intercept(new HostPort("10.1.2.3", 443)), mtls: [Mtls(new HostPort("*.example.com", 8443), "c")]);

        var errors = CiliumObjects.Generate(profile, Options("1.18", SecretsMode.Sds)).Errors;

        errors.Should().HaveCount(2);
        errors.Should().Contain(e => e.Message.Contains("10.1.2.3:443", StringComparison.Ordinal));
        errors.Should().Contain(e => e.Message.Contains("*.example.com:8443", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("receiver.flux-system.svc")]
    [InlineData("receiver.flux-system.svc.cluster.local")]
    public void Cluster_internal_names_are_refused_because_toFQDNs_never_selects_in_cluster_addresses(string host)
    {
        var profile = Profile(intercept: Intercept(new HostPort(host, 443)), mtls: [Mtls(new HostPort(host, 9292), "c")]);

        var errors = CiliumObjects.Generate(profile, Options("1.18", SecretsMode.Sds)).Errors;

        errors.Where(e => e.Message.Contains("cluster-internal", StringComparison.Ordinal)).Should().HaveCount(2);
    }

    // Not refusable (the addresses are only known at run time), but a misroute when it happens: Cilium picks
    // the listener by destination identity and port, so names sharing an address share one listener.
    [Fact]
    public void DNS_destinations_sharing_a_port_are_warned_about_since_a_common_address_reaches_one_listener()
    {
        var profile = Profile(mtls: [
            Mtls(new HostPort("billing.example.com", 443), "a"), Mtls(new HostPort("hooks.example.com", 443), "b"),
            Mtls(new HostPort("10.0.0.5", 443), "c"), Mtls(new HostPort("other.example.com", 8443), "d")]);

        var generation = CiliumObjects.Generate(profile, Options("1.18", SecretsMode.Sds));

        generation.Errors.Should().BeEmpty();
        generation.Warnings.Should().ContainSingle(w => w.Contains("share port", StringComparison.Ordinal))
            .Which.Should().StartWith("egress-tls.io/mtls: billing.example.com:443, hooks.example.com:443 share port 443:")
            .And.Contain("reach one of their listeners");
        CiliumObjects.Generate(Profile(mtls: [Mtls(new HostPort("billing.example.com", 443), "a"), Mtls(new HostPort("10.0.0.5", 443), "c")]), Options("1.18", SecretsMode.Sds))
            .Warnings.Should().NotContain(w => w.Contains("share port", StringComparison.Ordinal));
    }

    [Fact]
    public void A_DNS_destination_on_an_intercepted_port_is_warned_about_on_1_18_since_interception_takes_precedence()
    {
        var profile = Profile(intercept: Intercept(new HostPort("*.cdn.example", 443), new HostPort("github.com", 8443)),
            mtls: [Mtls(new HostPort("billing.example.com", 443), "a"), Mtls(new HostPort("10.0.0.5", 8443), "c")]);

        var generation = CiliumObjects.Generate(profile, Options("1.18", SecretsMode.Sds));

        generation.Errors.Should().BeEmpty();
        generation.Warnings.Should().ContainSingle(w => w.Contains("share port", StringComparison.Ordinal))
            .Which.Should().StartWith("egress-tls.io/mtls: billing.example.com:443 share port 443 with the intercepted *.cdn.example:")
            .And.Contain("takes precedence over the listener");
    }

    [Fact]
    public void A_profile_without_interception_or_mTLS_generates_nothing()
    {
        var generation = CiliumObjects.Generate(Profile(), new RenderOptions());

        generation.Objects.Should().BeEmpty();
        generation.Errors.Should().BeEmpty();
    }

    [Fact]
    public void Default_arrays_in_the_profile_mean_none_instead_of_throwing()
    {
        var profile = Profile(intercept: new InterceptSpec(default, default, null)) with { Mtls = default };
        CiliumObjects.Generate(profile, new RenderOptions()).Objects.Should().BeEmpty();

        var interceptOnly = Profile(intercept: Intercept(new HostPort("github.com", 443))) with { Mtls = default };
        CiliumObjects.Generate(interceptOnly, new RenderOptions()).Objects.Should().Contain(o => o.Kind == "CiliumNetworkPolicy");
    }

    private static RenderOptions Options(string version, SecretsMode mode) =>
        new() { Cilium = new CiliumTarget { Version = Version.Parse(version), SecretsMode = mode } };

    private static InterceptSpec Intercept(params HostPort[] hosts) => new([.. hosts], null, null);

    private static MtlsDestination Mtls(HostPort destination, string cert) => new(destination, cert, null, null, true);

    private static EgressProfile Profile(InterceptSpec? intercept = null, ImmutableArray<MtlsDestination> mtls = default) =>
        new("team-x", intercept, mtls.IsDefault ? [] : mtls, OtherEgress.Deny,
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Naming.ProfileLabel, "px")]), "px");
}
