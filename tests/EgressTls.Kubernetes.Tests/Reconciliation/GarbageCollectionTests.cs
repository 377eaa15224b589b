using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Kubernetes.Reconciliation;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>The pure deletion rules.</summary>
public sealed class GarbageCollectionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);

    private static LiveState Live(string kind, string ns, string name, TimeSpan age, bool hash = true, string? profile = null, string? sourceNs = null, bool managed = true)
    {
        var labels = new JsonObject();
        if (managed)
        {
            labels[Naming.ManagedByLabel] = Naming.ManagedByValue;
        }

        if (profile is not null)
        {
            labels[Naming.ProfileLabel] = profile;
        }

        if (sourceNs is not null)
        {
            labels[Naming.SourceNamespaceLabel] = sourceNs;
        }

        var meta = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["labels"] = labels,
            ["creationTimestamp"] = (Now - age).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (hash)
        {
            meta["annotations"] = new JsonObject { [ContentHash.Annotation] = "h" };
        }

        var apiVersion = kind is "Secret" or "ConfigMap" ? "v1" : "cilium.io/v2";
        return new LiveState(new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = meta });
    }

    private static IEnumerable<string> Plan(
        IEnumerable<LiveState> live, IEnumerable<string>? desired = null, IReadOnlyCollection<RetainedScope>? retained = null, ISet<string>? protectedKeys = null, GracePeriod? grace = null) =>
        GarbageCollection.Plan(live, desired?.ToHashSet() ?? [], retained ?? [], Now, grace ?? new GracePeriod(Grace, new Dictionary<string, DateTimeOffset>(), DateTimeOffset.MinValue), (IReadOnlySet<string>?)protectedKeys?.ToHashSet() ?? new HashSet<string>())
            .Select(l => $"{l.Kind}/{l.Name}");

    [Fact]
    public void An_old_object_is_kept_until_the_grace_period_has_passed_since_a_pass_last_desired_it()
    {
        var policy = Live("CiliumNetworkPolicy", "a", "egress-tls-p", TimeSpan.FromDays(30), profile: "p");
        var envoy = Live("CiliumEnvoyConfig", "a", "egress-tls-p", TimeSpan.FromDays(30), profile: "p");
        var termStart = Now - TimeSpan.FromHours(1);
        var desired = new Dictionary<string, DateTimeOffset>
        {
            [policy.Key] = Now - TimeSpan.FromSeconds(90), // its last pod went 90 s ago: another replica may still trust it exists
            [envoy.Key] = Now - TimeSpan.FromMinutes(2),
        };

        Plan([policy, envoy], grace: new GracePeriod(Grace, desired, termStart)).Should().Equal("CiliumEnvoyConfig/egress-tls-p");
    }

    [Fact]
    public void A_new_leader_counts_what_it_has_not_seen_desired_as_desired_when_its_term_started()
    {
        var policy = Live("CiliumNetworkPolicy", "a", "egress-tls-p", TimeSpan.FromDays(30), profile: "p");
        var none = new Dictionary<string, DateTimeOffset>();

        Plan([policy], grace: new GracePeriod(Grace, none, Now - TimeSpan.FromSeconds(30))).Should().BeEmpty("the former leader may have desired it a moment ago");
        Plan([policy], grace: new GracePeriod(Grace, none, Now - Grace)).Should().Equal("CiliumNetworkPolicy/egress-tls-p");
        Plan([policy], grace: new GracePeriod(Grace, new Dictionary<string, DateTimeOffset> { [policy.Key] = Now - TimeSpan.FromDays(1) }, Now - TimeSpan.FromSeconds(30)))
            .Should().BeEmpty("a desire recorded before the term does not shorten it");
    }

    [Fact]
    public void Undesired_objects_are_deleted_policies_first_then_envoy_configs_then_secrets()
    {
        var old = TimeSpan.FromMinutes(10);
        Plan([Live("Secret", "egress-tls", "egress-tls-leaf-1", old), Live("CiliumNetworkPolicy", "a", "egress-tls-p", old, profile: "p"),
              Live("ConfigMap", "a", "egress-tls-trust-bundle", old), Live("CiliumEnvoyConfig", "a", "egress-tls-p", old, profile: "p")])
            .Should().Equal("CiliumNetworkPolicy/egress-tls-p", "CiliumEnvoyConfig/egress-tls-p", "ConfigMap/egress-tls-trust-bundle", "Secret/egress-tls-leaf-1");
    }

    [Fact]
    public void Young_desired_unlabelled_unhashed_and_protected_objects_are_kept()
    {
        var old = TimeSpan.FromMinutes(10);
        var live = new[]
        {
            Live("CiliumNetworkPolicy", "a", "young", TimeSpan.FromSeconds(119), profile: "p"),
            Live("CiliumNetworkPolicy", "a", "desired", old, profile: "p"),
            Live("CiliumNetworkPolicy", "a", "users", old, profile: "p", managed: false),
            Live("Secret", "egress-tls", "egress-tls-ca", old, hash: false),
            Live("Secret", "egress-tls", "protected", old),
            Live("CiliumNetworkPolicy", "a", "exactly-grace", Grace, profile: "p"),
        };

        Plan(live, ["cilium.io/v2/CiliumNetworkPolicy/a/desired"], protectedKeys: new HashSet<string> { "v1/Secret/egress-tls/protected" })
            .Should().Equal("CiliumNetworkPolicy/exactly-grace");
    }

    [Fact]
    public void A_retained_scope_keeps_its_profile_its_namespace_copies_and_every_shared_secret()
    {
        var old = TimeSpan.FromMinutes(10);
        var live = new[]
        {
            Live("CiliumNetworkPolicy", "a", "egress-tls-p", old, profile: "p"),
            Live("CiliumNetworkPolicy", "a", "egress-tls-q", old, profile: "q"),
            Live("Secret", "cilium-secrets", "egress-tls-a-cert", old, sourceNs: "a"),
            Live("Secret", "cilium-secrets", "egress-tls-b-cert", old, sourceNs: "b"),
            Live("Secret", "egress-tls", "egress-tls-leaf-1", old),
        };

        Plan(live, retained: [new RetainedScope("a", "p", null)])
            .Should().Equal("CiliumNetworkPolicy/egress-tls-q", "Secret/egress-tls-b-cert");
    }
}
