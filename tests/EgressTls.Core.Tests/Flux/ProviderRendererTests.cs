using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Core.Tests.Support;

namespace EgressTls.Core.Tests.Flux;

public class ProviderRendererTests
{
    private const string Uid = "0b7d4f52-90a1-4c3e-8f6b-1a2b3c4d5e6f";
    private static readonly RenderOptions Options = new();

    private static readonly NamespaceInfo FluxSystem = new(
        "flux-system",
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/enabled", "true")]),
        ImmutableSortedDictionary<string, string>.Empty);

    private static readonly SecretSummary Client = new("client", "kubernetes.io/tls", ["tls.crt", "tls.key"]);

    private static JsonObject Provider(string name = "hooks", string address = "https://hooks.example.com/flux", string? mtls = "cert=client", string? uid = null, string? originalAddress = null, string? spec = null)
    {
        var annotations = new JsonObject();
        if (mtls is not null)
        {
            annotations["egress-tls.io/mtls"] = mtls;
        }

        if (originalAddress is not null)
        {
            annotations["egress-tls.io/original-address"] = originalAddress;
        }

        var metadata = new JsonObject { ["name"] = name, ["namespace"] = "flux-system", ["annotations"] = annotations };
        if (uid is not null)
        {
            metadata["uid"] = uid;
        }

        var specNode = spec is null ? new JsonObject() : JsonNode.Parse(spec)!.AsObject();
        specNode["type"] ??= "generic";
        specNode["address"] = address;
        return new JsonObject
        {
            ["apiVersion"] = "notification.toolkit.fluxcd.io/v1beta3",
            ["kind"] = "Provider",
            ["metadata"] = metadata,
            ["spec"] = specNode,
        };
    }

    private static RenderResult Render(JsonObject provider, AdmissionOperation operation = AdmissionOperation.Create, JsonObject? old = null, params SecretSummary[] secrets) =>
        Renderer.Render(
            new RenderInput(provider, operation, FluxSystem, (secrets.Length == 0 ? [Client] : secrets).ToImmutableDictionary(s => s.Name), old, SecretsComplete: true),
            Options);

    // The controller pods take the namespace's intercept default: interception on the Provider's port conflicts
    // with the listener redirect for the same pods (one proxy type per port before 1.18; on 1.18 interception of
    // the host wins).
    [Theory]
    [InlineData("1.17", "*.example.com", "cannot redirect one port of a pod both to the interception and to this listener")]
    [InlineData("1.17", "github.com", "cannot redirect one port of a pod both to the interception and to this listener")]
    [InlineData("1.17", "github.com:8443", null)]
    [InlineData("1.18", "*.example.com", "interception of that host takes precedence over the listener")]
    [InlineData("1.18", "github.com", null)]
    public void A_namespace_intercept_default_on_the_Providers_port_is_warned_about(string version, string intercept, string? expected)
    {
        var ns = FluxSystem with { Annotations = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/intercept", intercept)]) };
        var options = new RenderOptions { Cilium = new CiliumTarget { Version = Version.Parse(version) } };

        var result = Renderer.Render(new RenderInput(Provider(), AdmissionOperation.Create, ns, new[] { Client }.ToImmutableDictionary(s => s.Name), null, SecretsComplete: true), options);

        var warnings = result.Should().BeOfType<Mutated>().Which.Warnings.Where(w => w.StartsWith("the notification-controller pods take", StringComparison.Ordinal));
        if (expected is null)
        {
            warnings.Should().BeEmpty();
        }
        else
        {
            warnings.Should().ContainSingle().Which.Should().Contain("the egress-tls.io/intercept annotation of namespace \"flux-system\"").And.Contain(expected);
        }
    }

    [Fact]
    public void A_namespace_that_does_not_opt_its_pods_in_gives_the_controller_pods_no_intercept_default()
    {
        var ns = FluxSystem with
        {
            Labels = ImmutableSortedDictionary<string, string>.Empty,
            Annotations = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/intercept", "*.example.com")]),
        };
        var provider = Provider();
        provider["metadata"]!["labels"] = new JsonObject { ["egress-tls.io/enabled"] = "true" };

        var result = Renderer.Render(new RenderInput(provider, AdmissionOperation.Create, ns, new[] { Client }.ToImmutableDictionary(s => s.Name), null, SecretsComplete: true), Options);

        result.Should().BeOfType<Mutated>().Which.Warnings.Should().NotContain(w => w.StartsWith("the notification-controller pods take", StringComparison.Ordinal));
    }

    [Fact]
    public void The_lab_Provider_gives_the_lab_redirect_listener_and_static_cluster_with_the_client_cert_by_SDS()
    {
        // Seed 001: CNP toCIDR 172.18.0.4/32 port 8083 -> listener of a CCEC, STATIC cluster 172.18.0.4:8083 whose
        // UpstreamTlsContext takes the client certificate from cilium-secrets by SDS, no server validation.
        var golden = GoldenCase.Load("lab-ccec-verify-off", "providers");
        var result = golden.Render().Should().BeOfType<Mutated>().Subject;

        var provider = JsonPatch.Apply(golden.Input.Object, result.Patch);
        ((string)provider["spec"]!["address"]!).Should().Be("http://172.18.0.4:8083", "the lab's client speaks plain HTTP to the backend's IP and port");

        var policy = result.Objects.Single(o => o.Kind == "CiliumNetworkPolicy");
        var config = result.Objects.Single(o => o.Kind == "CiliumClusterwideEnvoyConfig");
        policy.Namespace.Should().Be("flux-system");
        policy.Manifest["spec"]!["endpointSelector"]!.ToJsonString().Should().Be("""{"matchLabels":{"app":"notification-controller"}}""");
        var rule = policy.Manifest["spec"]!["egress"]!.AsArray().Single(r => r!["toCIDR"] is not null)!;
        rule["toCIDR"]!.ToJsonString().Should().Be("""["172.18.0.4/32"]""");
        var portRule = rule["toPorts"]!.AsArray().Single()!;
        portRule["ports"]!.ToJsonString().Should().Be("""[{"port":"8083","protocol":"TCP"}]""");
        portRule.AsObject().ContainsKey("rules").Should().BeFalse();
        ((string)portRule["listener"]!["envoyConfig"]!["kind"]!).Should().Be("CiliumClusterwideEnvoyConfig");
        ((string)portRule["listener"]!["envoyConfig"]!["name"]!).Should().Be(config.Name);

        var resources = config.Manifest["spec"]!["resources"]!.AsArray();
        var listener = resources.Single(r => ((string)r!["@type"]!).EndsWith(".Listener", StringComparison.Ordinal))!;
        ((string)listener["name"]!).Should().Be((string)portRule["listener"]!["name"]!);
        listener.AsObject().ContainsKey("address").Should().BeFalse();
        var tcpProxy = listener["filter_chains"]![0]!["filters"]![0]!;
        ((string)tcpProxy["name"]!).Should().Be("envoy.filters.network.tcp_proxy");

        var cluster = resources.Single(r => ((string)r!["@type"]!).EndsWith(".Cluster", StringComparison.Ordinal))!;
        ((string)cluster["name"]!).Should().Be((string)tcpProxy["typed_config"]!["cluster"]!);
        ((string)cluster["type"]!).Should().Be("STATIC");
        cluster["load_assignment"]!["endpoints"]![0]!["lb_endpoints"]![0]!["endpoint"]!["address"]!["socket_address"]!.ToJsonString()
            .Should().Be("""{"address":"172.18.0.4","port_value":8083}""");
        var tls = cluster["transport_socket"]!["typed_config"]!;
        ((string)tls["@type"]!).Should().EndWith("UpstreamTlsContext");
        var common = tls["common_tls_context"]!.AsObject();
        common["alpn_protocols"]!.ToJsonString().Should().Be("""["http/1.1"]""");
        common.ContainsKey("validation_context_sds_secret_config").Should().BeFalse("verify=false, as the lab");
        common.ContainsKey("combined_validation_context").Should().BeFalse();
        var certRef = (string)common["tls_certificate_sds_secret_configs"]![0]!["name"]!;
        certRef.Should().StartWith("cilium-secrets/");
        var copy = result.Objects.Single(o => o.Kind == "Secret" && $"{o.Namespace}/{o.Name}" == certRef);
        ((string)copy.Manifest["type"]!).Should().Be("kubernetes.io/tls");
        copy.Content.Should().BeEquivalentTo(new CopiedSecretContent("flux-system", "tls-client-cert", ["tls.crt", "tls.key"]));
        result.Objects.Select(o => o.ApplyRank).Should().BeInAscendingOrder("Secrets, then the Envoy config, then the policy");
    }

    [Fact]
    public void On_CREATE_the_objects_carry_the_Provider_label_and_with_a_uid_also_an_ownerReference_except_cluster_scoped_and_shared_ones()
    {
        var created = Render(Provider()).Should().BeOfType<Mutated>().Subject;
        var updated = Render(Provider(uid: Uid), AdmissionOperation.Update).Should().BeOfType<Mutated>().Subject;
        var clusterwide = Renderer.Render(
            new RenderInput(Provider(uid: Uid), AdmissionOperation.Update, FluxSystem, ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false),
            Options with { Cilium = Options.Cilium with { ClusterwideEnvoyConfig = true } }).Should().BeOfType<Mutated>().Subject;

        foreach (var o in created.Objects.Where(o => o.Kind.StartsWith("Cilium", StringComparison.Ordinal)))
        {
            ((string)o.Manifest["metadata"]!["labels"]!["egress-tls.io/provider"]!).Should().Be("hooks");
            o.Manifest["metadata"]!.AsObject().ContainsKey("ownerReferences").Should().BeFalse("the uid is not assigned before CREATE is admitted");
        }

        foreach (var o in updated.Objects.Where(o => o.Kind.StartsWith("Cilium", StringComparison.Ordinal)))
        {
            o.Manifest["metadata"]!["ownerReferences"]!.ToJsonString().Should().Be(
                $$"""[{"apiVersion":"notification.toolkit.fluxcd.io/v1beta3","kind":"Provider","name":"hooks","uid":"{{Uid}}"}]""");
        }

        var ccec = clusterwide.Objects.Single(o => o.Kind == "CiliumClusterwideEnvoyConfig").Manifest["metadata"]!.AsObject();
        ccec.ContainsKey("ownerReferences").Should().BeFalse("a cluster-scoped object cannot name a namespaced owner");
        ((string)ccec["labels"]!["egress-tls.io/provider"]!).Should().Be("hooks");
        ((string)ccec["labels"]!["egress-tls.io/source-namespace"]!).Should().Be("flux-system");
        updated.Objects.Where(o => o.Kind == "Secret").Should().OnlyContain(
            o => o.Manifest["metadata"]!["labels"]!["egress-tls.io/provider"] == null && o.Manifest["metadata"]!["ownerReferences"] == null,
            "Secret copies are shared by everything in the namespace using the same Secret");
    }

    [Fact]
    public void Two_Providers_with_the_same_settings_get_their_own_policy_and_Envoy_config()
    {
        var a = (Mutated)Render(Provider("hooks-a"));
        var b = (Mutated)Render(Provider("hooks-b"));

        static IEnumerable<string> Own(Mutated m) => m.Objects.Where(o => o.Kind.StartsWith("Cilium", StringComparison.Ordinal)).Select(o => o.Name);
        Own(a).Should().HaveCount(2).And.NotIntersectWith(Own(b));
        a.Warnings.Should().Contain(w => w.Contains("must use the same settings", StringComparison.Ordinal));
    }

    [Fact]
    public void A_name_longer_than_a_label_value_is_labelled_by_a_hashed_form()
    {
        var name = "notifications-for-the-platform-team-production-cluster-eu-west-1-primary";
        var m = (Mutated)Render(Provider(name));

        var label = (string)m.Objects.Single(o => o.Kind == "CiliumNetworkPolicy").Manifest["metadata"]!["labels"]!["egress-tls.io/provider"]!;
        label.Should().Be(Naming.LabelValue(name)).And.HaveLength(63).And.NotBe(name);
        m.Objects.Should().OnlyContain(o => o.Name.Length <= 63);
    }

    [Fact]
    public void An_http_address_edited_by_hand_while_the_annotation_stays_is_refused_naming_spec_address()
    {
        var old = Provider(address: "http://hooks.example.com:443/flux", originalAddress: "https://hooks.example.com/flux", uid: Uid);
        var edited = Provider(address: "http://hooks.example.com:8080/flux", originalAddress: "https://hooks.example.com/flux", uid: Uid);

        var error = Render(edited, AdmissionOperation.Update, old).Should().BeOfType<Rejected>().Subject.Errors.Should().ContainSingle().Subject;

        error.Field.Should().Be("spec.address");
        error.Message.Should().Contain("is not egress-tls's rewrite").And.Contain("\"http://hooks.example.com:443/flux\"").And.Contain("expected the server's https:// address");
    }

    [Fact]
    public void Opting_a_rewritten_Provider_out_restores_its_address_and_wants_no_objects()
    {
        var provider = Provider(address: "http://hooks.example.com:443/flux", originalAddress: "https://hooks.example.com/flux", uid: Uid);
        provider["metadata"]!["labels"] = new JsonObject { ["egress-tls.io/enabled"] = "false" };

        var m = Render(provider, AdmissionOperation.Update, provider).Should().BeOfType<Mutated>().Subject;

        m.Objects.Should().BeEmpty();
        var restored = JsonPatch.Apply(provider, m.Patch);
        ((string)restored["spec"]!["address"]!).Should().Be("https://hooks.example.com/flux");
        restored["metadata"]!["annotations"]!.AsObject().ContainsKey("egress-tls.io/original-address").Should().BeFalse();
        m.Warnings.Should().Contain(w => w.Contains("egress-tls.io/enabled=false", StringComparison.Ordinal));
    }

    [Fact]
    public void A_stale_annotation_on_an_https_Provider_without_mtls_is_removed_and_the_address_kept()
    {
        var provider = Provider(mtls: null, originalAddress: "https://old.example.com/flux");

        var m = Render(provider).Should().BeOfType<Mutated>().Subject;

        m.Patch.Select(p => p.Op).Should().Equal("test", "remove");
        ((string)JsonPatch.Apply(provider, m.Patch)["spec"]!["address"]!).Should().Be("https://hooks.example.com/flux");
    }

    [Fact]
    public void Every_refusal_is_reported_at_once_each_naming_its_field()
    {
        var provider = Provider(
            mtls: "cert=absent",
            address: "https://hooks.example.com/flux",
            spec: """{"type":"github","proxy":"http://proxy:3128","secretRef":{"name":"url"},"certSecretRef":{"name":"mtls"}}""");

        var errors = Render(
                provider,
                AdmissionOperation.Create,
                null,
                new SecretSummary("url", "Opaque", ["address", "proxy"]),
                new SecretSummary("mtls", "kubernetes.io/tls", ["ca.crt", "tls.crt", "tls.key"]))
            .Should().BeOfType<Rejected>().Subject.Errors;

        errors.Select(e => e.Field).Should().Equal(
            "metadata.annotations[egress-tls.io/mtls]", "spec.type", "spec.proxy", "spec.secretRef", "spec.secretRef", "spec.certSecretRef");
        errors.Should().OnlyContain(e => e.Message.Contains("expected", StringComparison.Ordinal));
    }

    [Fact]
    public void ReferencedSecretNames_lists_the_annotation_Secrets_and_the_secretRef_and_certSecretRef_Secrets()
    {
        var provider = Provider(mtls: "cert=client ca=server-ca", spec: """{"secretRef":{"name":"token"},"certSecretRef":{"name":"ca-bundle"}}""");

        Renderer.ReferencedSecretNames(provider, FluxSystem, Options).Should().Equal("ca-bundle", "client", "server-ca", "token");
        Renderer.ReferencedSecretNames(Provider(mtls: null, spec: """{"secretRef":{"name":"token"}}"""), FluxSystem, Options).Should().BeEmpty();
    }

    [Fact]
    public void The_certSecretRef_CA_verifies_the_server_unless_ca_is_given()
    {
        var provider = Provider(spec: """{"certSecretRef":{"name":"ca-bundle"}}""");
        var caBundle = new SecretSummary("ca-bundle", "Opaque", ["ca.crt"]);

        var fromCertSecretRef = (Mutated)Render(provider, AdmissionOperation.Create, null, Client, caBundle);
        var fromAnnotation = (Mutated)Render(Provider(mtls: "cert=client ca=own-ca", spec: """{"certSecretRef":{"name":"ca-bundle"}}"""), AdmissionOperation.Create, null, Client, caBundle, new SecretSummary("own-ca", "Opaque", ["ca.crt"]));

        fromCertSecretRef.Objects.Select(o => o.Content).OfType<CaOnlyContent>().Should().ContainSingle().Which.SourceName.Should().Be("ca-bundle");
        fromAnnotation.Objects.Select(o => o.Content).OfType<CaOnlyContent>().Should().ContainSingle().Which.SourceName.Should().Be("own-ca");
        fromAnnotation.Warnings.Should().Contain(w => w.Contains("is not used", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(AdmissionOperation.Delete, "operation-not-handled")]
    [InlineData(AdmissionOperation.Connect, "operation-not-handled")]
    public void Other_operations_are_skipped(AdmissionOperation operation, string reason)
    {
        Render(Provider(), operation).Should().BeOfType<Skipped>().Which.Reason.Should().Be(reason);
    }

    [Fact]
    public void A_Provider_in_an_excluded_namespace_is_skipped()
    {
        var input = new RenderInput(Provider(), AdmissionOperation.Create, FluxSystem with { Name = "kube-system" }, ImmutableDictionary<string, SecretSummary>.Empty);

        Renderer.Render(input, Options).Should().BeOfType<Skipped>().Which.Reason.Should().Be(SkipReasons.NamespaceExcluded);
    }
}
