using System.Collections.Immutable;
using EgressTls.Core.Rendering;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Tests.Support;

namespace EgressTls.Webhook.Tests;

public sealed class ConfigLoaderTests
{
    private const string DesignExample = """
        {
          "namespace": "egress-tls",
          "server": {"port": 8443, "certFile": "", "keyFile": "", "metricsPort": 9090, "maxRequestBodyBytes": 3145728,
                     "shutdownDelay": "7s", "shutdownTimeout": "12s"},
          "cilium": {"version": "1.16", "secretsMode": "auto", "envoySecretsNamespace": "cilium-secrets",
                     "policySecretsNamespace": "cilium-secrets", "clusterwideEnvoyConfig": true},
          "ca": {"source": "generate", "secretName": "egress-tls-ca", "importSecretName": "", "keyAlgorithm": "ecdsa-p256",
                 "duration": "87600h", "renewBefore": "8760h",
                 "certManager": {"issuerKind": "ClusterIssuer", "issuerName": ""}},
          "leaf": {"keyAlgorithm": "ecdsa-p256", "duration": "8760h", "renewBefore": "720h"},
          "publicRoots": {"file": "/etc/ssl/certs/ca-certificates.crt"},
          "trustBundle": {"name": "team-trust", "mountPath": "/etc/team/trust"},
          "interceptGroups": [{"name": "github", "hosts": ["github.com", "*.github.com"], "namespaceSelector": {"matchLabels": {}}}],
          "flux": {"enabled": true, "notificationControllerSelector": {"app": "notification-controller"}},
          "admission": {"applyTimeout": "4s"},
          "reconciler": {"enabled": true, "resyncPeriod": "10m",
                         "leaderElection": {"enabled": true, "leaseName": "egress-tls-leader", "leaseDuration": "15s", "renewDeadline": "10s", "retryPeriod": "2s"}},
          "servingCertificate": {"mode": "self-managed", "secretName": "egress-tls-serving-cert", "serviceName": "egress-tls",
                                 "webhookConfigurationName": "egress-tls", "duration": "8760h", "renewBefore": "720h"},
          "excludedNamespaces": ["kube-system", "kube-public", "kube-node-lease"],
          "logLevel": "Information"
        }
        """;

    [Fact]
    public void The_documented_example_binds_and_maps_to_render_options()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), DesignExample);

        var config = ConfigLoader.Load(dir.File("config.json"), _ => null);
        var options = RenderOptionsFactory.Create(config);

        config.Ca.Duration.Should().Be(TimeSpan.FromHours(87600));
        config.Server.ShutdownDelay.Should().Be(TimeSpan.FromSeconds(7));
        config.Server.ShutdownTimeout.Should().Be(TimeSpan.FromSeconds(12));
        config.Reconciler.LeaderElection.RetryPeriod.Should().Be(TimeSpan.FromSeconds(2));
        config.InterceptGroups.Should().ContainSingle().Which.Hosts.Should().Equal("github.com", "*.github.com");
        options.Cilium.Version.Should().Be(new Version(1, 16));
        options.Cilium.SecretsMode.Should().Be(SecretsMode.Inline, "auto resolves to inline before Cilium 1.17");
        options.Cilium.ClusterwideEnvoyConfig.Should().BeTrue();
        options.TrustBundleName.Should().Be("team-trust");
        options.TrustMountPath.Should().Be("/etc/team/trust");
        options.WebhookNamespace.Should().Be("egress-tls");
        options.InterceptGroups.Should().ContainSingle().Which.Should().BeEquivalentTo(
            new InterceptGroup("github", ["github.com", "*.github.com"], ImmutableSortedDictionary<string, string>.Empty));
    }

    [Fact]
    public void Without_a_file_the_defaults_apply_and_POD_NAMESPACE_overrides_the_namespace()
    {
        var config = ConfigLoader.Load(null, name => name == "POD_NAMESPACE" ? "platform-tls" : null);

        config.Namespace.Should().Be("platform-tls");
        config.Server.Port.Should().Be(8443);
        config.Server.MaxRequestBodyBytes.Should().Be(3 * 1024 * 1024);
        RenderOptionsFactory.Create(config).Cilium.SecretsMode.Should().Be(SecretsMode.Sds);
    }

    [Theory]
    [InlineData("""{"ca": {"duration": "10y"}}""", "ca.duration: \"10y\" is not a duration: unknown unit \"y\"")]
    [InlineData("""{"admission": {"applyTimeout": 4}}""", "admission.applyTimeout: 4; expected a duration string such as \"15s\"")]
    [InlineData("""{"server": {"prot": 1}}""", "server.prot: unknown field; expected one of port, certFile, keyFile, metricsPort, maxRequestBodyBytes")]
    [InlineData("""{"server": {"port": "8443"}}""", "server.port: \"8443\"; expected an integer")]
    [InlineData("""{"cilium": """, "line 1, byte 12: not valid JSON")]
    [InlineData("""[{"cilium": {}}]""", "the configuration is a list; expected a JSON object")]
    public void Binding_errors_name_the_file_the_field_and_the_expected_form(string json, string detail)
    {
        using var dir = new TempDirectory();
        var file = dir.File("bad.json");
        File.WriteAllText(file, json);

        var act = () => ConfigLoader.Load(file, _ => null);

        act.Should().Throw<ConfigException>().Which.Message.Should().Contain(file).And.Contain(detail);
    }

    [Fact]
    public void Every_shape_mistake_is_listed_with_its_field_in_plain_words_beside_the_value_mistakes()
    {
        using var dir = new TempDirectory();
        var file = dir.File("shape.json");
        File.WriteAllText(file, """
            {"server": {"port": "8443", "prot": 1, "metricsPort": 99999999999},
             "interceptGroups": [null, {"name": "a", "hosts": [null], "namespaceSelector": {"matchLabels": {"team": 3}}}],
             "ca": {"renewBefore": 4}, "flux": {"enabled": "yes"}, "Namespace": "x", "logLevel": null,
             "excludedNamespaces": "kube-system", "admission": {"applyTimeout": "45s", "applyTimeout": "1s"},
             "cilium": {"version": "1.12"}}
            """);

        var message = ((Func<object>)(() => ConfigLoader.Load(file, _ => null))).Should().Throw<ConfigException>().Which.Message;

        // Shape mistakes in document order (a repeated field first: it is found while reading), then the values.
        message.Split('\n').Skip(1).Select(l => l.Trim()).Should().Equal(
            "admission.applyTimeout: written more than once in the same object; expected each field once",
            "server.port: \"8443\"; expected an integer",
            "server.prot: unknown field; expected one of port, certFile, keyFile, metricsPort, maxRequestBodyBytes, shutdownDelay, shutdownTimeout",
            "server.metricsPort: 99999999999 is too large; expected an integer of at most 2147483647",
            "interceptGroups[0]: null; expected an object with the fields name, hosts, namespaceSelector",
            "interceptGroups[1].hosts[0]: null; expected a string",
            "interceptGroups[1].namespaceSelector.matchLabels[\"team\"]: 3; expected a string",
            "ca.renewBefore: 4; expected a duration string such as \"15s\", \"30m\" or \"1h30m\"",
            "flux.enabled: \"yes\"; expected true or false",
            "Namespace: unknown field; expected one of namespace, server, cilium, ca, leaf, publicRoots, trustBundle, interceptGroups, "
                + "flux, admission, reconciler, servingCertificate, excludedNamespaces, logLevel",
            "logLevel: null; expected a string",
            "excludedNamespaces: \"kube-system\"; expected a list of strings",
            "cilium.version: \"1.12\" is not a supported Cilium version; expected 1.14 to 1.18",
            "admission.applyTimeout: 45s; expected more than 0s and less than 30s");
        message.Should().NotContain("System.").And.NotContain("EgressTls.").And.NotContain(".NET").And.NotContain("$.");
    }

    [Fact]
    public void A_field_whose_value_is_unusable_gets_one_message_not_also_those_of_its_default()
    {
        using var dir = new TempDirectory();
        var file = dir.File("c.json");
        File.WriteAllText(file, """{"interceptGroups": [{"name": "github", "hosts": "github.com"}]}""");

        var message = ((Func<object>)(() => ConfigLoader.Load(file, _ => null))).Should().Throw<ConfigException>().Which.Message;

        message.Split('\n').Skip(1).Select(l => l.Trim()).Should().Equal(
            "interceptGroups[0].hosts: \"github.com\"; expected a list of strings");
    }

    [Fact]
    public async Task Serve_with_a_null_intercept_group_exits_2_naming_it()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("c.json"), """{"interceptGroups": [null]}""");
        var stderr = new StringWriter();

        var code = await Cli.RunAsync(["serve", "--config", dir.File("c.json"), "--standalone"], TextReader.Null, new StringWriter(), stderr, _ => null);

        code.Should().Be(2, stderr.ToString());
        stderr.ToString().Should().Contain("interceptGroups[0]: null; expected an object").And.NotContain("internal error");
    }

    [Fact]
    public void Validation_reports_every_mistake_at_once_with_its_field()
    {
        using var dir = new TempDirectory();
        var file = dir.File("invalid.json");
        File.WriteAllText(file, """
            {"namespace": "Egress_TLS", "server": {"port": 70000, "certFile": "/nonexistent/tls.crt"},
             "cilium": {"version": "1.12", "secretsMode": "file"}, "leaf": {"duration": "24h", "renewBefore": "48h"},
             "admission": {"applyTimeout": "45s"}, "logLevel": "Chatty", "servingCertificate": {"mode": "cert-manager"}}
            """);

        var message = ((Func<object>)(() => ConfigLoader.Load(file, _ => null))).Should().Throw<ConfigException>().Which.Message;

        message.Should().Contain("namespace: \"Egress_TLS\"")
            .And.Contain("server.port: 70000")
            .And.Contain("server.keyFile: certFile and keyFile must be given together")
            .And.Contain("server.certFile: /nonexistent/tls.crt does not exist")
            .And.Contain("cilium.version: \"1.12\"")
            .And.Contain("cilium.secretsMode: \"file\"")
            .And.Contain("leaf.renewBefore")
            .And.Contain("admission.applyTimeout: 45s")
            .And.Contain("logLevel: \"Chatty\"");
    }

    [Theory]
    [InlineData("""{"ca": {"renewBefore": "24h", "rotation": {"propagation": "48h"}}}""", "ca.rotation.propagation: 48h0m0s; expected at least 0s and less than ca.renewBefore (24h0m0s)")]
    [InlineData("""{"ca": {"rotation": {"checkInterval": "0s"}}}""", "ca.rotation.checkInterval: 0s; expected between 1s and 1h")]
    [InlineData("""{"ca": {"source": "import", "importSecretName": "egress-tls-ca"}}""", "ca.importSecretName: \"egress-tls-ca\" is also ca.secretName")]
    [InlineData("""{"reconciler": {"garbageCollectionGracePeriod": "10s"}}""", "reconciler.garbageCollectionGracePeriod: 10s; expected at least 30s")]
    public void Rotation_and_reconciler_timings_are_checked_with_the_field_named(string json, string expected)
    {
        using var dir = new TempDirectory();
        var file = dir.File("c.json");
        File.WriteAllText(file, json);

        var message = ((Func<object>)(() => ConfigLoader.Load(file, _ => null))).Should().Throw<ConfigException>().Which.Message;

        message.Should().Contain(expected);
    }

    [Theory]
    [InlineData("""{"cilium": {"version": "1.99999999999"}}""", "cilium.version: \"1.99999999999\" is not a supported Cilium version; expected 1.14 to 1.18")]
    [InlineData("""{"interceptGroups": [{"name": "all", "hosts": ["*.com"]}]}""",
        "interceptGroups[0].hosts[0]: \"*.com\" is too broad: '*.' must be followed by at least two labels (e.g. *.example.com); expected a comma-separated list of host[:port]")]
    [InlineData("""{"interceptGroups": [{"name": "g", "hosts": ["github.com", "git hub.com"]}]}""",
        "interceptGroups[0].hosts[1]: \"git hub.com\" is not a DNS name")]
    [InlineData("""{"interceptGroups": [{"name": "g", "hosts": ["github.com:99999"]}]}""",
        "interceptGroups[0].hosts[0]: \"github.com:99999\" has an invalid port \"99999\" (1-65535)")]
    [InlineData("""{"interceptGroups": [{"name": "g", "hosts": ["10.0.0.1"]}]}""", "interceptGroups[0].hosts[0]: \"10.0.0.1\" is an IP address")]
    [InlineData("""{"interceptGroups": [{"name": "g", "hosts": ["a.example.com, b.example.com"]}]}""",
        "interceptGroups[0].hosts[0]: \"a.example.com, b.example.com\"; expected one host[:port] per item")]
    [InlineData("""{"interceptGroups": [{"name": "g", "hosts": [" "]}]}""", "interceptGroups[0].hosts[0]: \" \"; expected one host[:port] per item")]
    [InlineData("""{"trustBundle": {"mountPath": "/"}}""", "trustBundle.mountPath: \"/\"; expected an absolute directory path below /")]
    [InlineData("""{"trustBundle": {"mountPath": "//"}}""", "trustBundle.mountPath: \"//\"; expected an absolute directory path below /")]
    [InlineData("""{"trustBundle": {"mountPath": "/etc/../trust"}}""", "trustBundle.mountPath: \"/etc/../trust\"; expected")]
    [InlineData("""{"trustBundle": {"mountPath": "etc/trust"}}""", "trustBundle.mountPath: \"etc/trust\"; expected")]
    [InlineData("""{"flux": {"notificationControllerSelector": {}}}""",
        "flux.notificationControllerSelector: empty; expected the labels of the notification-controller pods")]
    [InlineData("""{"flux": {"notificationControllerSelector": {"app": "notification controller"}}}""",
        "flux.notificationControllerSelector[\"app\"]: \"notification controller\"; expected a label name")]
    [InlineData("""{"logLevel": "Debug,Information"}""", "logLevel: \"Debug,Information\"; expected Verbose, Debug, Information, Warning, Error or Fatal")]
    [InlineData("""{"logLevel": "2"}""", "logLevel: \"2\"; expected Verbose")]
    [InlineData("""{"server": {"shutdownDelay": "10m"}}""", "server.shutdownDelay: 10m0s; expected 0s (close at once) to 5m, such as 5s")]
    [InlineData("""{"server": {"shutdownDelay": "-1s"}}""", "server.shutdownDelay: -1s; expected 0s (close at once) to 5m")]
    [InlineData("""{"server": {"shutdownTimeout": "0s"}}""", "server.shutdownTimeout: 0s; expected 1s to 5m, such as 10s")]
    public void Values_that_would_break_admissions_or_output_are_refused_at_load(string json, string expected)
    {
        using var dir = new TempDirectory();
        var file = dir.File("c.json");
        File.WriteAllText(file, json);

        var message = ((Func<object>)(() => ConfigLoader.Load(file, _ => null))).Should().Throw<ConfigException>().Which.Message;

        message.Should().Contain(expected);
    }

    [Fact]
    public void Valid_neighbours_of_the_refused_values_load()
    {
        using var dir = new TempDirectory();
        var file = dir.File("c.json");
        File.WriteAllText(file, """
            {"interceptGroups": [{"name": "g", "hosts": ["*.github.com", "git.example.com:8443", "API.Example.com."]}],
             "trustBundle": {"mountPath": "/etc/team/trust/"},
             "flux": {"enabled": false, "notificationControllerSelector": {}},
             "logLevel": "debug"}
            """);

        var config = ConfigLoader.Load(file, _ => null);

        config.InterceptGroups.Single().Hosts.Should().HaveCount(3);
        config.LogLevel.Should().Be("debug");
    }

    [Fact]
    public async Task Serve_with_an_invalid_configuration_exits_2_with_the_reason()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("c.json"), """{"cilium": {"version": "2.0"}}""");
        var stderr = new StringWriter();

        var code = await Cli.RunAsync(["serve", "--config", dir.File("c.json")], TextReader.Null, new StringWriter(), stderr, _ => null);

        code.Should().Be(2);
        stderr.ToString().Should().Contain("cilium.version");
    }

    [Fact]
    public async Task Serve_with_unloadable_certificate_files_exits_2()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tls.crt"), "not a certificate");
        File.WriteAllText(dir.File("tls.key"), "not a key");
        File.WriteAllText(dir.File("c.json"), $$$"""{"server": {"port": 0, "metricsPort": 0, "certFile": "{{{dir.File("tls.crt")}}}", "keyFile": "{{{dir.File("tls.key")}}}"}}""");
        var stderr = new StringWriter();

        var code = await Cli.RunAsync(["serve", "--config", dir.File("c.json"), "--standalone"], TextReader.Null, new StringWriter(), stderr, _ => null);

        code.Should().Be(2);
        stderr.ToString().Should().Contain("cannot load a certificate and key");
    }
}
