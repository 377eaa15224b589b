using System.Text.Json.Nodes;
using EgressTls.Core.Cilium;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Tests.Cilium;

/// <summary>The generated objects reproduce the hand-built seeds semantically (same redirect, same
/// secrets layout, same rules), independent of the golden files' exact text.</summary>
public class CiliumSeedTests
{
    [Theory]
    [InlineData("lab-ccec-verify-off", "CiliumClusterwideEnvoyConfig")]
    [InlineData("lab-cec-verify-on", "CiliumEnvoyConfig")]
    public void The_lab_redirects_172_18_0_4_port_8083_to_a_listener_whose_static_cluster_presents_the_client_cert(string name, string kind)
    {
        var generation = CiliumCase.Load(name).Generate();
        generation.Errors.Should().BeEmpty();
        var config = generation.Objects.Single(o => o.Kind == kind);
        var policy = Policy(generation);

        var rule = Egress(policy).Single(r => r["toCIDR"] is not null);
        Strings(rule["toCIDR"]).Should().Equal("172.18.0.4/32");
        var portRule = rule["toPorts"]!.AsArray().Single()!.AsObject();
        portRule["ports"]!.ToJsonString().Should().Be("""[{"port":"8083","protocol":"TCP"}]""");
        portRule.ContainsKey("rules").Should().BeFalse("a listener redirect cannot carry L7 rules (cilium-facts 0.1)");
        var listenerRef = portRule["listener"]!.AsObject();
        listenerRef.ContainsKey("priority").Should().BeFalse();
        ((string)listenerRef["envoyConfig"]!["kind"]!).Should().Be(kind);
        ((string)listenerRef["envoyConfig"]!["name"]!).Should().Be(config.Name);
        if (kind == "CiliumEnvoyConfig")
        {
            config.Namespace.Should().Be(policy.Namespace, "a CNP can only name a CEC of its own namespace");
        }
        else
        {
            config.Namespace.Should().BeNull();
        }

        var resources = config.Manifest["spec"]!["resources"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var listener = resources.Single(r => ((string)r["@type"]!).EndsWith(".Listener", StringComparison.Ordinal));
        ((string)listener["name"]!).Should().Be((string)listenerRef["name"]!);
        listener.ContainsKey("address").Should().BeFalse("only an address-less listener gets a proxy port a policy can redirect to");
        var tcpProxy = listener["filter_chains"]![0]!["filters"]![0]!;
        ((string)tcpProxy["name"]!).Should().Be("envoy.filters.network.tcp_proxy");

        var cluster = resources.Single(r => ((string)r["@type"]!).EndsWith(".Cluster", StringComparison.Ordinal));
        ((string)cluster["name"]!).Should().Be((string)tcpProxy["typed_config"]!["cluster"]!);
        ((string)cluster["name"]!).Should().NotContain("/");
        ((string)cluster["type"]!).Should().Be("STATIC");
        var socket = cluster["load_assignment"]!["endpoints"]![0]!["lb_endpoints"]![0]!["endpoint"]!["address"]!["socket_address"]!;
        ((string)socket["address"]!).Should().Be("172.18.0.4");
        ((int)socket["port_value"]!).Should().Be(8083);

        var tls = cluster["transport_socket"]!;
        ((string)tls["name"]!).Should().Be("envoy.transport_sockets.tls");
        ((string)tls["typed_config"]!["@type"]!).Should().EndWith("UpstreamTlsContext");
        tls["typed_config"]!.AsObject().ContainsKey("sni").Should().BeFalse("an IP destination without an explicit SNI sends none");
        var common = tls["typed_config"]!["common_tls_context"]!;
        Strings(common["alpn_protocols"]).Should().Equal("http/1.1");

        var certRef = (string)common["tls_certificate_sds_secret_configs"]![0]!["name"]!;
        certRef.Should().StartWith("cilium-secrets/");
        var copy = SecretAt(generation, certRef);
        ((string)copy.Manifest["type"]!).Should().Be("kubernetes.io/tls");
        copy.Content.Should().BeEquivalentTo(new CopiedSecretContent("mtls-inject", "tls-client-cert", ["tls.crt", "tls.key"]));

        if (name.Contains("verify-off", StringComparison.Ordinal))
        {
            common.AsObject().ContainsKey("validation_context_sds_secret_config").Should().BeFalse();
            generation.Warnings.Should().Contain(w => w.Contains("NOT verified", StringComparison.Ordinal));
        }
        else
        {
            // 1.17+ pins the server name next to the SDS CA; older agents get the SDS CA alone (PR #34449).
            var pinned = generation.Objects.Any(o => o.Kind.EndsWith("EnvoyConfig", StringComparison.Ordinal))
                && common["combined_validation_context"] is not null;
            var validation = pinned ? common["combined_validation_context"]! : common;
            var caRef = (string)validation["validation_context_sds_secret_config"]!["name"]!;
            caRef.Should().StartWith("cilium-secrets/");
            if (pinned)
            {
                validation["default_validation_context"]!["match_typed_subject_alt_names"]!.ToJsonString()
                    .Should().Be("""[{"san_type":"IP_ADDRESS","matcher":{"exact":"172.18.0.4"}}]""");
            }
            else
            {
                generation.Warnings.Should().Contain(w => w.Contains("not the name it was issued for", StringComparison.Ordinal));
            }
            SecretAt(generation, caRef).Content.Should().BeEquivalentTo(new CaOnlyContent("mtls-inject", "public-cacert"));
        }
    }

    [Fact]
    public void Facebook_is_terminated_with_a_leaf_reoriginated_with_a_CA_and_filtered_to_GET_cucumber_with_the_dada_header()
    {
        var generation = CiliumCase.Load("facebook-http-rules").Generate();
        var rule = Egress(Policy(generation)).Single(r => r["toFQDNs"] is not null);

        rule["toFQDNs"]!.ToJsonString().Should().Be("""[{"matchName":"www.facebook.com"}]""");
        var portRule = rule["toPorts"]!.AsArray().Single()!;
        portRule["ports"]!.ToJsonString().Should().Be("""[{"port":"443","protocol":"TCP"}]""");
        portRule["rules"]!["http"]!.ToJsonString().Should().Be("""[{"method":"GET","path":"/cucumber","headers":["dada: dada"]}]""");

        var leaf = SecretRef(generation, portRule["terminatingTLS"]!);
        ((string)leaf.Manifest["type"]!).Should().Be("kubernetes.io/tls");
        leaf.Content.Should().BeOfType<LeafCertificateContent>().Which.DnsNames.Should().Equal("www.facebook.com");
        SecretRef(generation, portRule["originatingTLS"]!).Content.Should().BeEquivalentTo(new CaOnlyContent(null, null));
        HasDnsRule(generation).Should().BeTrue("toFQDNs needs the DNS proxy to see the lookups");
    }

    [Fact]
    public void HTTP_rules_with_other_egress_allowed_are_enforced_on_1_16_and_refused_from_1_17()
    {
        var enforced = CiliumCase.Load("facebook-http-rules-1.16-allow").Generate();
        var spec = Policy(enforced).Manifest["spec"]!;
        spec["enableDefaultDeny"]!.ToJsonString().Should().Be("""{"egress":false}""");
        Egress(Policy(enforced)).Single(r => r["toFQDNs"] != null)["toPorts"]![0]!["rules"]!["http"]!.AsArray().Should().ContainSingle();

        var refused = CiliumCase.Load("facebook-http-rules-allow-refused").Generate();
        refused.Objects.Should().BeEmpty();
        refused.Errors.Should().ContainSingle().Which.Field.Should().Be("metadata.annotations[egress-tls.io/intercept-http-rules]");
        refused.Errors[0].Message.Should().Contain("other-egress").And.Contain("38841");
    }

    [Theory]
    [InlineData("poc-domain-groups", "egress-tls")]
    [InlineData("poc-domain-groups-inline-1.16", "cilium-secrets")]
    public void The_PoC_domain_groups_share_one_rule_and_one_leaf_covering_every_name_in_the_secrets_namespace_of_the_mode(string name, string secretsNamespace)
    {
        var generation = CiliumCase.Load(name).Generate();
        var rules = Egress(Policy(generation)).Where(r => r["toFQDNs"] is not null).ToList();

        rules.Should().ContainSingle();
        rules[0]["toFQDNs"]!.ToJsonString().Should().Be(
            """[{"matchPattern":"*.amazonaws.com"},{"matchPattern":"*.github.com"},{"matchPattern":"*.googleapis.com"},{"matchName":"github.com"}]""");
        var portRule = rules[0]["toPorts"]![0]!;
        portRule["rules"]!["http"]!.ToJsonString().Should().Be("[{}]", "no HTTP rules means allow all with visibility");
        ((string)portRule["terminatingTLS"]!["secret"]!["namespace"]!).Should().Be(secretsNamespace);
        ((string)portRule["originatingTLS"]!["secret"]!["namespace"]!).Should().Be(secretsNamespace);
        SecretRef(generation, portRule["terminatingTLS"]!).Content.Should().BeOfType<LeafCertificateContent>()
            .Which.DnsNames.Should().Equal("*.amazonaws.com", "*.github.com", "*.googleapis.com", "github.com");
    }

    [Fact]
    public void Other_egress_allow_on_1_16_and_later_keeps_the_pods_out_of_default_deny()
    {
        var generation = CiliumCase.Load("poc-domain-groups").Generate();
        var spec = Policy(generation).Manifest["spec"]!;

        spec["enableDefaultDeny"]!.ToJsonString().Should().Be("""{"egress":false}""");
        NoL3AllowAll(generation);
        generation.Warnings.Should().ContainSingle(w => w.Contains("other-egress=allow", StringComparison.Ordinal) && w.Contains("unchanged", StringComparison.Ordinal));
    }

    [Fact]
    public void Other_egress_allow_on_1_14_keeps_the_cluster_denies_the_rest_and_says_so()
    {
        var generation = CiliumCase.Load("poc-domain-groups-1.14").Generate();
        var spec = Policy(generation).Manifest["spec"]!.AsObject();

        spec.ContainsKey("enableDefaultDeny").Should().BeFalse("Cilium 1.14 has no such field");
        Egress(Policy(generation)).Should().ContainSingle(r => r["toEntities"] != null)
            .Which.ToJsonString().Should().Be("""{"toEntities":["cluster"]}""");
        NoL3AllowAll(generation);
        generation.Warnings.Should().ContainSingle(w => w.Contains("DENIED", StringComparison.Ordinal) && w.Contains("toEntities: cluster", StringComparison.Ordinal));
    }

    [Fact]
    public void Other_egress_deny_allows_only_DNS_and_the_redirected_destinations()
    {
        var generation = CiliumCase.Load("mtls-fqdn-deny").Generate();
        var policy = Policy(generation);

        policy.Manifest["spec"]!.AsObject().ContainsKey("enableDefaultDeny").Should().BeFalse();
        Egress(policy).Should().HaveCount(2);
        HasDnsRule(generation).Should().BeTrue();
        Egress(policy).Should().ContainSingle(r => r["toFQDNs"] != null && r["toPorts"]![0]!["listener"] != null);
        generation.Warnings.Should().ContainSingle(w => w.Contains("other-egress=deny", StringComparison.Ordinal) && w.Contains("DROPPED", StringComparison.Ordinal));
    }

    [Fact]
    public void A_DNS_mTLS_destination_uses_an_original_destination_cluster_with_the_name_as_SNI_and_a_DNS_rule()
    {
        var generation = CiliumCase.Load("mtls-fqdn-deny").Generate();
        var cluster = generation.Objects.Single(o => o.Kind == "CiliumEnvoyConfig").Manifest["spec"]!["resources"]!.AsArray()
            .Single(r => ((string)r!["@type"]!).EndsWith(".Cluster", StringComparison.Ordinal))!;

        ((string)cluster["type"]!).Should().Be("ORIGINAL_DST");
        ((string)cluster["lb_policy"]!).Should().Be("CLUSTER_PROVIDED");
        cluster.AsObject().ContainsKey("load_assignment").Should().BeFalse();
        ((string)cluster["transport_socket"]!["typed_config"]!["sni"]!).Should().Be("psp.bank.example");
        Egress(Policy(generation)).Single(r => r["toFQDNs"] != null)["toFQDNs"]!.ToJsonString().Should().Be("""[{"matchName":"psp.bank.example"}]""");
    }

    [Fact]
    public void IPv6_destinations_use_a_128_bit_CIDR_and_a_static_endpoint_and_explicit_SNI_is_sent_for_an_IP()
    {
        var generation = CiliumCase.Load("mtls-multi-destinations").Generate();
        var egress = Egress(Policy(generation));
        var clusters = generation.Objects.Single(o => o.Kind == "CiliumClusterwideEnvoyConfig").Manifest["spec"]!["resources"]!.AsArray()
            .Where(r => ((string)r!["@type"]!).EndsWith(".Cluster", StringComparison.Ordinal)).ToList();

        egress.Should().Contain(r => r["toCIDR"] != null && r["toCIDR"]!.ToJsonString() == """["2001:db8::10/128"]""");
        clusters.Should().Contain(c => (string)c!["load_assignment"]!["endpoints"]![0]!["lb_endpoints"]![0]!["endpoint"]!["address"]!["socket_address"]!["address"]! == "2001:db8::10");
        clusters.Should().Contain(c => (string?)c!["transport_socket"]!["typed_config"]!["sni"] == "alerts.internal.example");
        generation.Objects.Where(o => o.Kind == "Secret" && o.Content is CopiedSecretContent).Select(o => o.Name).Should().OnlyHaveUniqueItems().And.HaveCount(4);
    }

    private static GeneratedObject Policy(CiliumGeneration generation) => generation.Objects.Single(o => o.Kind == "CiliumNetworkPolicy");

    private static List<JsonObject> Egress(GeneratedObject policy) =>
        policy.Manifest["spec"]!["egress"]!.AsArray().Select(r => r!.AsObject()).ToList();

    private static bool HasDnsRule(CiliumGeneration generation) => Egress(Policy(generation)).Any(r =>
        r["toEndpoints"]?[0]?["matchLabels"]?["k8s-app"]?.GetValue<string>() == "kube-dns"
        && r["toPorts"]![0]!["ports"]!.ToJsonString() == """[{"port":"53","protocol":"ANY"}]"""
        && r["toPorts"]![0]!["rules"]!["dns"]!.ToJsonString() == """[{"matchPattern":"*"}]""");

    private static void NoL3AllowAll(CiliumGeneration generation)
    {
        foreach (var rule in Egress(Policy(generation)))
        {
            var entities = rule["toEntities"] is JsonArray e ? Strings(e) : [];
            entities.Should().NotContain(["world", "all"], "an L3 allow of the intercepted (world) destinations could widen the intercepted port's rules");
            rule.Count.Should().BeGreaterThan(0);
            (rule["toEndpoints"] is JsonArray endpoints && endpoints.Any(x => x!.AsObject().Count == 0)).Should().BeFalse();
        }
    }

    private static GeneratedObject SecretRef(CiliumGeneration generation, JsonNode tlsContext) =>
        SecretAt(generation, $"{(string)tlsContext["secret"]!["namespace"]!}/{(string)tlsContext["secret"]!["name"]!}");

    private static GeneratedObject SecretAt(CiliumGeneration generation, string reference) =>
        generation.Objects.Single(o => o.Kind == "Secret" && $"{o.Namespace}/{o.Name}" == reference);

    private static List<string> Strings(JsonNode? array) => array!.AsArray().Select(n => (string)n!).ToList();
}
