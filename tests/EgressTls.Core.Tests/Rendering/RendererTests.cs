using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Cilium;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Tests.Rendering;

public class RendererTests
{
    private static readonly RenderOptions Options = new();

    private static readonly NamespaceInfo OptedIn = new(
        "team-a",
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/enabled", "true")]),
        ImmutableSortedDictionary<string, string>.Empty);

    private static JsonObject Pod(string annotationsJson, string spec = """{"containers":[{"name":"app","image":"alpine"}]}""") =>
        JsonNode.Parse($$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","annotations":{{annotationsJson}}},"spec":{{spec}}}""")!.AsObject();

    private static RenderInput Input(JsonObject pod, NamespaceInfo? ns = null, bool complete = false, params SecretSummary[] secrets) =>
        new(pod, AdmissionOperation.Create, ns ?? OptedIn, secrets.ToImmutableDictionary(s => s.Name), SecretsComplete: complete);

    private static CiliumGeneration Nothing(EgressProfile profile, RenderOptions options) => new([], [], []);

    [Fact]
    public void Names_paths_and_values_of_other_types_are_refused_each_with_its_field()
    {
        // The Pod API types them as strings and the API server refuses anything else; render reads hand-written
        // files, where an unquoted YAML number or boolean is a common slip. Render is total: errors, not exceptions.
        var pod = Pod("""{"egress-tls.io/inject-ca":"true"}""",
            """
            {"volumes":[{"name":5}],"containers":[{"name":7,"image":"alpine",
              "volumeMounts":[{"name":"v","mountPath":3},{"name":true,"mountPath":"/x","subPath":1,"subPathExpr":{}}],
              "env":[{"name":1,"value":"x"},{"name":"SSL_CERT_FILE","value":2},{"name":"JAVA_TOOL_OPTIONS","value":512},{"name":"DEBUG","value":null}]}]}
            """);

        var result = Renderer.Render(Input(pod), Options, Nothing);

        result.Should().BeOfType<Rejected>().Which.Errors.Select(e => e.ToString()).Should().Equal(
            "spec.containers[0].name: is Number; expected a string (in YAML, quote it: \"7\")",
            "spec.containers[0].env[0].name: is Number; expected a string (in YAML, quote it: \"1\")",
            "spec.containers[0].env[1].value: is Number; expected a string (in YAML, quote it: \"2\")",
            "spec.containers[0].env[2].value: is Number; expected a string (in YAML, quote it: \"512\")",
            "spec.containers[0].volumeMounts[0].mountPath: is Number; expected a string (in YAML, quote it: \"3\")",
            "spec.containers[0].volumeMounts[1].name: is True; expected a string (in YAML, quote it: \"true\")",
            "spec.containers[0].volumeMounts[1].subPath: is Number; expected a string (in YAML, quote it: \"1\")",
            "spec.containers[0].volumeMounts[1].subPathExpr: is Object; expected a string",
            "spec.volumes[0].name: is Number; expected a string (in YAML, quote it: \"5\")");
    }

    [Fact]
    public void A_JAVA_TOOL_OPTIONS_value_that_is_not_a_string_is_refused_in_an_init_container_too()
    {
        // The value egress-tls appends to: a number there reached the patch builder, which threw.
        var pod = Pod("""{"egress-tls.io/inject-ca":"true"}""",
            """{"initContainers":[{"name":"init","env":[{"name":"JAVA_TOOL_OPTIONS","value":true}]}],"containers":[{"name":"app"}]}""");

        var error = Renderer.Render(Input(pod), Options, Nothing).Should().BeOfType<Rejected>().Which.Errors.Should().ContainSingle().Subject;

        error.Field.Should().Be("spec.initContainers[0].env[0].value");
        error.Message.Should().Be("is True; expected a string (in YAML, quote it: \"true\")");
    }

    [Fact]
    public void Env_names_and_mount_paths_written_with_escapes_are_read_as_their_values()
    {
        // JSON may escape any character; the review's bytes are compared unescaped.
        const string json = """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","annotations":{"egress-tls.io/inject-ca":"true"}},
             "spec":{"containers":[{"name":"app","volumeMounts":[{"name":"mine","mountPath":"\/etc\/egress-tls\/trust\/"}],
               "env":[{"name":"SSL\u005fCERT_FILE","value":"/mine.pem"}]},
              {"name":"other","env":[{"name":"\u0053SL_CERT_FILE","value":"/mine.pem"},{"name":"JAVA_TOOL_OPTIONS","value":"-Xmx1g"}]}]}}
            """;
        using var document = JsonDocument.Parse(json);
        var input = Input(JsonObject.Create(document.RootElement)!) with { };
        input = input with { ObjectElement = document.RootElement };

        var fromJson = (Mutated)Renderer.Render(input, Options, Nothing);
        var fromNode = (Mutated)Renderer.Render(Input(JsonNode.Parse(json)!.AsObject()), Options, Nothing);

        fromJson.Warnings.Should().Contain(w => w.Contains("container \"app\": /etc/egress-tls/trust is already mounted", StringComparison.Ordinal))
            .And.Contain(w => w.Contains("container \"other\": SSL_CERT_FILE is already set", StringComparison.Ordinal));
        fromJson.Patch.Should().Contain(p => p.Path == "/spec/containers/1/env/1/value");
        fromJson.Patch.Select(p => $"{p.Op} {p.Path} {p.Value?.ToJsonString()}").Should().Equal(fromNode.Patch.Select(p => $"{p.Op} {p.Path} {p.Value?.ToJsonString()}"));
        fromJson.Warnings.Should().Equal(fromNode.Warnings);
    }

    [Fact]
    public void Trust_injection_refuses_a_patch_that_already_changed_the_pod_it_reads_as_admitted()
    {
        var builder = new EgressTls.Core.Patching.PatchBuilder(Pod("{}"));
        builder.AddMember(["spec"], "hostname", JsonValue.Create("h"));

        var inject = () => EgressTls.Core.Injection.TrustInjector.Inject(builder, Options, systemPaths: false);

        inject.Should().Throw<InvalidOperationException>().WithMessage("*first operations*");
    }

    [Fact]
    public void Errors_in_namespace_defaults_name_the_namespace()
    {
        var ns = OptedIn with
        {
            Annotations = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/intercept", "*.com")]),
        };

        var result = Renderer.Render(Input(Pod("{}"), ns), Options, Nothing);

        var error = result.Should().BeOfType<Rejected>().Subject.Errors.Should().ContainSingle().Subject;
        error.Field.Should().Be("namespace(team-a).metadata.annotations[egress-tls.io/intercept]");
        error.Message.Should().StartWith("\"*.com\" is too broad").And.EndWith("(default set on namespace \"team-a\")");
    }

    [Fact]
    public void The_profile_id_depends_on_the_normalised_content_not_on_the_namespace_or_spelling()
    {
        string? Id(string annotations, string ns)
        {
            var result = (Mutated)Renderer.Render(Input(Pod(annotations), OptedIn with { Name = ns }), Options, Nothing);
            return (string?)result.Patch.Single(p => p.Path == "/metadata/labels/egress-tls.io~1profile").Value;
        }

        var a = Id("""{"egress-tls.io/intercept":"b.example.com, a.example.com"}""", "team-a");
        var b = Id("""{"egress-tls.io/intercept":"A.example.com.:443,b.example.com"}""", "team-b");
        var c = Id("""{"egress-tls.io/intercept":"a.example.com","egress-tls.io/other-egress":"deny"}""", "team-a");

        a.Should().Be(b);
        a.Should().NotBe(c);
    }

    [Fact]
    public void Generator_warnings_are_merged_and_its_errors_reject_the_pod()
    {
        var pod = Pod("""{"egress-tls.io/intercept":"github.com"}""");
        EgressProfile? seen = null;
        var warned = Renderer.Render(Input(pod), Options, (p, _) =>
        {
            seen = p;
            return new CiliumGeneration([], ["other egress stays allowed"], []);
        });
        var refused = Renderer.Render(Input(pod), Options, (_, _) =>
            new CiliumGeneration([], [], [new FieldError("metadata.annotations[egress-tls.io/intercept]", "conflicts")]));

        warned.Should().BeOfType<Mutated>().Which.Warnings.Should().Contain("other egress stays allowed");
        seen!.Namespace.Should().Be("team-a");
        seen.PodSelector.Should().Equal(new Dictionary<string, string> { ["egress-tls.io/profile"] = seen.Id });
        refused.Should().BeOfType<Rejected>().Which.Errors.Should().ContainSingle().Which.Message.Should().Be("conflicts");
    }

    [Fact]
    public void Generated_objects_are_ordered_secrets_and_configmaps_first()
    {
        static GeneratedObject Obj(string kind, string name) =>
            new(new JsonObject { ["apiVersion"] = "v1", ["kind"] = kind, ["metadata"] = new JsonObject { ["name"] = name } });
        var result = Renderer.Render(Input(Pod("""{"egress-tls.io/intercept":"github.com"}""")), Options, (_, _) =>
            new CiliumGeneration([Obj("CiliumNetworkPolicy", "p"), Obj("Secret", "s"), Obj("CiliumEnvoyConfig", "e")], [], []));

        result.Should().BeOfType<Mutated>().Which.Objects.Select(o => $"{o.Kind}/{o.Name}")
            .Should().Equal("ConfigMap/egress-tls-trust-bundle", "Secret/s", "CiliumEnvoyConfig/e", "CiliumNetworkPolicy/p");
    }

    // toFQDNs learns addresses only from lookups Cilium's DNS proxy sees, and the policy's DNS rule sends it
    // only the lookups to the cluster DNS pods: a pod using the node's resolvers is never intercepted.
    [Theory]
    [InlineData("""{"egress-tls.io/intercept":"github.com"}""")]
    [InlineData("""{"egress-tls.io/mtls":"billing.example.com:443 cert=c"}""")]
    public void A_pod_resolving_through_the_node_cannot_use_names_in_intercept_or_mtls(string annotations)
    {
        const string nodeDns = """{"dnsPolicy":"Default","containers":[{"name":"app"}]}""";

        var error = Renderer.Render(Input(Pod(annotations, nodeDns)), Options, Nothing)
            .Should().BeOfType<Rejected>().Which.Errors.Should().ContainSingle().Subject;
        error.Field.Should().Be("spec.dnsPolicy");
        error.Message.Should().Contain("io.kubernetes.pod.namespace=kube-system,k8s-app=kube-dns").And.Contain("expected dnsPolicy ClusterFirst");
    }

    [Fact]
    public void Node_DNS_is_fine_for_IP_destinations_and_trust_alone_and_dnsPolicy_None_is_warned_about()
    {
        const string nodeDns = """{"dnsPolicy":"Default","containers":[{"name":"app"}]}""";
        const string noneDns = """{"dnsPolicy":"None","dnsConfig":{"nameservers":["10.96.0.10"]},"containers":[{"name":"app"}]}""";

        Renderer.Render(Input(Pod("""{"egress-tls.io/mtls":"10.0.0.1:443 cert=c"}""", nodeDns)), Options, Nothing).Should().BeOfType<Mutated>();
        Renderer.Render(Input(Pod("""{"egress-tls.io/inject-ca":"true"}""", nodeDns)), Options, Nothing).Should().BeOfType<Mutated>();
        Renderer.Render(Input(Pod("""{"egress-tls.io/intercept":"github.com"}""", noneDns)), Options, Nothing)
            .Should().BeOfType<Mutated>().Which.Warnings.Should().ContainSingle(w => w.StartsWith("spec.dnsPolicy is None", StringComparison.Ordinal));
        Renderer.Render(Input(Pod("""{"egress-tls.io/mtls":"10.0.0.1:443 cert=c"}""", noneDns)), Options, Nothing)
            .Should().BeOfType<Mutated>().Which.Warnings.Should().NotContain(w => w.Contains("dnsPolicy", StringComparison.Ordinal));
    }

    [Fact]
    public void A_host_alias_for_an_intercepted_or_mtls_name_is_refused_since_no_lookup_reaches_the_DNS_proxy()
    {
        const string aliases = """{"hostAliases":[{"ip":"10.0.0.1","hostnames":["unrelated.example"]},{"ip":"140.82.112.3","hostnames":["other.example","API.GitHub.com."]},{"ip":"10.0.0.2","hostnames":["billing.example.com"]}],"containers":[{"name":"app"}]}""";

        var errors = Renderer.Render(Input(Pod("""{"egress-tls.io/intercept":"*.github.com","egress-tls.io/mtls":"billing.example.com:443 cert=c"}""", aliases)), Options, Nothing)
            .Should().BeOfType<Rejected>().Which.Errors;

        errors.Select(e => e.Field).Should().Equal("spec.hostAliases[1].hostnames[1]", "spec.hostAliases[2].hostnames[0]");
        errors[0].Message.Should().Contain("\"API.GitHub.com.\" is resolved from /etc/hosts").And.Contain("toFQDNs rule of \"*.github.com\"");
        Renderer.Render(Input(Pod("""{"egress-tls.io/intercept":"github.com"}""", aliases)), Options, Nothing).Should().BeOfType<Mutated>();
    }

    [Fact]
    public void A_host_rule_that_misses_the_port_in_the_Host_header_is_an_admission_warning()
    {
        var pod = Pod("""{"egress-tls.io/intercept":"api.example.com:8443","egress-tls.io/other-egress":"deny","egress-tls.io/intercept-http-rules":"[{\"host\": \"api\\\\.example\\\\.com\"}]"}""");

        Renderer.Render(Input(pod), Options, Nothing).Should().BeOfType<Mutated>()
            .Which.Warnings.Should().ContainSingle(w => w.Contains("but not \"api.example.com:8443\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Host_network_pods_cannot_use_mtls_but_can_get_trust()
    {
        const string hostNetwork = """{"hostNetwork":true,"containers":[{"name":"app"}]}""";

        Renderer.Render(Input(Pod("""{"egress-tls.io/mtls":"10.0.0.1:443 cert=c"}""", hostNetwork)), Options, Nothing)
            .Should().BeOfType<Rejected>().Which.Errors.Should().ContainSingle(e => e.Field == "spec.hostNetwork");
        Renderer.Render(Input(Pod("""{"egress-tls.io/inject-ca":"true"}""", hostNetwork)), Options, Nothing)
            .Should().BeOfType<Mutated>().Which.Patch.Should().NotBeEmpty();
    }

    [Fact]
    public void A_destination_cannot_be_both_intercepted_and_given_a_client_certificate()
    {
        var result = Renderer.Render(Input(Pod("""{"egress-tls.io/intercept":"api.example.com","egress-tls.io/mtls":"api.example.com:443 cert=c"}""")), Options, Nothing);

        result.Should().BeOfType<Rejected>().Which.Errors.Should().ContainSingle()
            .Which.ToString().Should().StartWith("metadata.annotations[egress-tls.io/mtls]: destination api.example.com:443 is also in egress-tls.io/intercept");
    }

    [Fact]
    public void Absent_secrets_are_assumed_to_exist_offline_but_present_ones_are_still_checked()
    {
        var pod = Pod("""{"egress-tls.io/mtls":"a.example.com:443 cert=absent; b.example.com:443 cert=wrong"}""");
        var wrong = new SecretSummary("wrong", "Opaque", ImmutableSortedSet.Create("tls.crt", "tls.key"));

        var offline = Renderer.Render(Input(pod, complete: false, secrets: wrong), Options, Nothing);
        var online = Renderer.Render(Input(pod, complete: true, secrets: wrong), Options, Nothing);

        offline.Should().BeOfType<Rejected>().Which.Errors.Select(e => e.Message).Should().ContainSingle().Which.Should().Contain("\"wrong\"");
        online.Should().BeOfType<Rejected>().Which.Errors.Should().HaveCount(2);
    }

    [Fact]
    public void Referenced_secret_names_come_from_pod_and_namespace_and_skip_invalid_entries()
    {
        var ns = OptedIn with
        {
            Annotations = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/upstream-ca", "corp-root")]),
        };
        var pod = Pod("""{"egress-tls.io/intercept":"github.com","egress-tls.io/mtls":"10.0.0.1:443 cert=client ca=server-ca\n10.0.0.2:443 cert=client"}""");

        Renderer.ReferencedSecretNames(pod, ns, Options).Should().Equal("client", "corp-root", "server-ca");
        Renderer.ReferencedSecretNames(Pod("""{"egress-tls.io/upstream-ca":"other/ns"}"""), OptedIn, Options).Should().BeEmpty();
    }

    [Fact]
    public void The_parsed_json_belongs_to_the_object_it_came_with()
    {
        var element = JsonSerializer.SerializeToElement(Pod("""{"egress-tls.io/inject-ca":"true"}"""));
        var input = Input(JsonObject.Create(element)!) with { ObjectElement = element };

        input.ObjectElement.Should().NotBeNull();
        (input with { Object = Pod("{}") }).ObjectElement.Should().BeNull("a copy with another object must not read the first one's JSON");
    }

    // A name of another type is refused (Names_paths_and_values_of_other_types_are_refused_each_with_its_field).
    [Theory]
    [InlineData("""{"name":null}""")]
    [InlineData("""{"value":"no name"}""")]
    public void Env_entries_without_a_name_are_kept_and_never_throw(string entry)
    {
        var pod = Pod("""{"egress-tls.io/inject-ca":"true"}""", $$"""{"containers":[{"name":"app","image":"alpine","env":[{{entry}}]}]}""");
        var element = JsonSerializer.SerializeToElement(pod);

        var fromNodes = Renderer.Render(Input(pod), Options, Nothing);
        var fromJson = Renderer.Render(Input(JsonObject.Create(element)!) with { ObjectElement = element }, Options, Nothing);

        var patch = fromNodes.Should().BeOfType<Mutated>().Subject.Patch;
        patch.Should().Contain(o => o.Path == "/spec/containers/0/env/-" && o.Value!["name"]!.GetValue<string>() == "SSL_CERT_FILE");
        fromJson.Should().BeOfType<Mutated>().Which.Patch.Select(o => o.ToString()).Should().Equal(patch.Select(o => o.ToString()));
    }

    // The webhook fetches exactly the referenced names, then renders with the fetch as the complete truth:
    // a Secret that Render checks but the pre-step did not name would be reported missing although it exists.
    [Theory]
    [InlineData("""{"egress-tls.io/upstream-ca":"corp-root","egress-tls.io/inject-ca":"true"}""")]
    [InlineData("""{"egress-tls.io/intercept":"bad_host!","egress-tls.io/upstream-ca":"corp-root"}""")]
    [InlineData("""{"egress-tls.io/intercept":"github.com","egress-tls.io/upstream-ca":"corp-root","egress-tls.io/mtls":"10.0.0.1:443 cert=client ca=server-ca"}""")]
    public void Every_secret_render_checks_is_named_by_the_pre_step(string annotations)
    {
        var cluster = new[]
        {
            new SecretSummary("corp-root", "Opaque", ImmutableSortedSet.Create("ca.crt")),
            new SecretSummary("server-ca", "Opaque", ImmutableSortedSet.Create("ca.crt")),
            new SecretSummary("client", "kubernetes.io/tls", ImmutableSortedSet.Create("tls.crt", "tls.key")),
        };
        var pod = Pod(annotations);
        var names = Renderer.ReferencedSecretNames(pod, OptedIn, Options);

        var result = Renderer.Render(Input(pod, complete: true, secrets: [.. cluster.Where(s => names.Contains(s.Name))]), Options, Nothing);

        var errors = result is Rejected rejected ? rejected.Errors.Select(e => e.ToString()) : [];
        errors.Should().NotContain(e => e.Contains("does not exist"));
    }

    [Theory]
    [InlineData("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"}}""")]
    [InlineData("""{"apiVersion":"notification.toolkit.fluxcd.io/v1beta1","kind":"Provider","metadata":{"name":"p"}}""")]
    [InlineData("""{"metadata":{"name":"no-kind"}}""")]
    public void Other_kinds_are_skipped(string json)
    {
        Renderer.Render(Input(JsonNode.Parse(json)!.AsObject()), Options, Nothing)
            .Should().BeOfType<Skipped>().Which.Reason.Should().Be(SkipReasons.KindNotSupported);
    }

    [Fact]
    public void Configured_excluded_namespaces_are_skipped()
    {
        var options = Options with { ExcludedNamespaces = ["team-a"] };

        Renderer.Render(Input(Pod("""{"egress-tls.io/intercept":"github.com"}""")), options, Nothing)
            .Should().BeOfType<Skipped>().Which.Reason.Should().Be(SkipReasons.NamespaceExcluded);
    }

    [Fact]
    public void A_JAVA_TOOL_OPTIONS_entry_without_a_value_gets_ours()
    {
        var pod = Pod("""{"egress-tls.io/inject-ca":"true"}""", """{"containers":[{"name":"app","env":[{"name":"JAVA_TOOL_OPTIONS"}]}]}""");

        var result = (Mutated)Renderer.Render(Input(pod), Options, Nothing);

        result.Patch.Should().ContainSingle(p => p.Path == "/spec/containers/0/env/0/value" && p.Op == "add")
            .Which.Value!.GetValue<string>().Should().StartWith("-Djavax.net.ssl.trustStore=/etc/egress-tls/trust/truststore.p12");
    }

    [Fact]
    public void The_mount_path_option_moves_mounts_and_variables_together()
    {
        var result = (Mutated)Renderer.Render(Input(Pod("""{"egress-tls.io/inject-ca":"true"}""")), Options with { TrustMountPath = "/var/run/trust/" }, Nothing);

        var values = result.Patch.Select(p => p.Value?.ToJsonString() ?? string.Empty).ToList();
        values.Should().Contain(v => v.Contains("\"mountPath\":\"/var/run/trust\"", StringComparison.Ordinal));
        values.Should().Contain(v => v.Contains("\"value\":\"/var/run/trust/ca-bundle.crt\"", StringComparison.Ordinal));
        values.Should().NotContain(v => v.Contains("/etc/egress-tls", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"containers":{"name":"app"}}""", "spec.containers")]
    [InlineData("""{"volumes":"none","containers":[]}""", "spec.volumes")]
    [InlineData("""{"containers":[{"name":"app","env":{"A":"b"}}]}""", "spec.containers[0].env")]
    [InlineData("""{"containers":[{"name":"app","volumeMounts":["x"]}]}""", "spec.containers[0].volumeMounts")]
    [InlineData("""{"initContainers":["x"],"containers":[]}""", "spec.initContainers[0]")]
    public void Malformed_pods_from_hand_written_files_are_errors_not_exceptions(string spec, string field)
    {
        Renderer.Render(Input(Pod("""{"egress-tls.io/inject-ca":"true"}""", spec)), Options, Nothing)
            .Should().BeOfType<Rejected>().Which.Errors.Should().Contain(e => e.Field == field);
    }

    [Fact]
    public void Invalid_intercept_group_hosts_name_the_group()
    {
        var options = Options with
        {
            InterceptGroups = [new InterceptGroup("corp", ["*.com"], ImmutableSortedDictionary<string, string>.Empty)],
        };

        Renderer.Render(Input(Pod("{}")), options, Nothing)
            .Should().BeOfType<Rejected>().Which.Errors.Should().ContainSingle()
            .Which.Field.Should().Be("interceptGroups[corp].hosts");
    }
}
