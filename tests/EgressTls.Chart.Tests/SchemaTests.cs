namespace EgressTls.Chart.Tests;

public sealed class SchemaTests
{
    [Theory]
    [InlineData("cilium.secretMode=sds", "secretMode")]
    [InlineData("replicas=3", "replicas")]
    [InlineData("webhook.failurePolicy=Never", "failurePolicy")]
    [InlineData("webhook.timeoutSeconds=31", "timeoutSeconds")]
    [InlineData("cilium.secretsMode=files", "secretsMode")]
    [InlineData("servingCertificate.mode=manual", "mode")]
    [InlineData("ca.source=vault", "source")]
    [InlineData("certificates.duration=1y", "duration")]
    [InlineData("certificates.renewBefore=30d", "renewBefore")]
    [InlineData("interceptGroups.github.hosts={*.com}", "hosts")]
    [InlineData("interceptGroups.github.hosts={a.*.com}", "hosts")]
    [InlineData("interceptGroups.github.namespaceSelector.matchLabel.team=x", "matchLabel")]
    [InlineData("interceptGroups.github.namespaceSelector.matchExpressions[0].key=team", "matchExpressions")]
    [InlineData("logLevel=Trace", "logLevel")]
    [InlineData("trustBundle.mountPath=/", "mountPath")]
    [InlineData("trustBundle.mountPath=/etc/../trust", "mountPath")]
    [InlineData("flux.notificationControllerSelector.app=null", "notificationControllerSelector")]
    [InlineData("ca.source=secret", "importSecretName")]
    [InlineData("ca.source=cert-manager", "name")]
    [InlineData("publicRoots.source=configMap", "name")]
    [InlineData("image.digest=latest", "digest")]
    public void Invalid_values_fail_helm_template_naming_the_offending_key(string set, string key)
    {
        var result = Helm.TryTemplate("--set", set);
        result.ExitCode.Should().NotBe(0, $"--set {set} must be refused");
        result.StandardError.Should().Contain("schema").And.Contain(key);
    }

    // Combinations the schema cannot express and `serve` refuses at start (exit 2, a crash-looping pod):
    // the chart refuses them at install time, with the same rule in the message.
    [Theory]
    [InlineData("reconciler.garbageCollectionGracePeriod=10s", "reconciler.garbageCollectionGracePeriod: 10s; expected at least 30s")]
    [InlineData("certificates.renewBefore=9000h", "certificates.renewBefore: 9000h; expected more than 0s and less than certificates.duration (8760h)")]
    [InlineData("certificates.duration=30m", "certificates.duration: 30m is too short; expected at least 1h")]
    [InlineData("ca.renewBefore=90000h", "ca.renewBefore: 90000h; expected more than 0s and less than ca.duration (87600h)")]
    [InlineData("servingCertificate.renewBefore=1h30m0s", "servingCertificate.renewBefore")]
    [InlineData("ca.rotation.propagation=9000h", "ca.rotation.propagation: 9000h; expected less than ca.renewBefore (8760h)")]
    [InlineData("ca.rotation.checkInterval=2h", "ca.rotation.checkInterval: 2h; expected between 1s and 1h")]
    [InlineData("webhook.applyTimeout=12s", "webhook.applyTimeout: 12s; expected less than webhook.timeoutSeconds (10 s)")]
    [InlineData("metrics.port=8443", "metrics.port: 8443; expected a port other than server.port (8443)")]
    [InlineData("reconciler.leaderElection.renewDeadline=20s", "expected 0 < retryPeriod < renewDeadline < leaseDuration")]
    public void Values_that_serve_would_refuse_at_start_fail_helm_template_with_the_rule(string set, string message)
    {
        var extra = set.StartsWith("servingCertificate.renewBefore", StringComparison.Ordinal) ? new[] { "--set", "servingCertificate.duration=1h30m" } : [];
        var result = Helm.TryTemplate(["--set", set, .. extra]);
        result.ExitCode.Should().NotBe(0, $"--set {set} must be refused");
        result.StandardError.Should().Contain(message);
    }

    [Fact]
    public void Durations_are_compared_as_go_durations_not_as_text()
    {
        // 1h30m is 90 minutes: more than the 30 s minimum, less than the leaf's 8760h.
        Helm.Template("--set", "reconciler.garbageCollectionGracePeriod=1h30m", "--set", "certificates.renewBefore=1h30m",
            "--set", "ca.rotation.checkInterval=59m59s", "--set", "webhook.applyTimeout=9500ms");
    }

    [Fact]
    public void A_typo_in_a_values_file_fails_helm_template()
    {
        var file = Path.Combine(Path.GetTempPath(), $"egress-tls-typo-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, "cilium:\n  clusterWideEnvoyConfig: true\n");
        try
        {
            var result = Helm.TryTemplate("-f", file);
            result.ExitCode.Should().NotBe(0);
            result.StandardError.Should().Contain("clusterWideEnvoyConfig");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_new_intercept_group_with_valid_hosts_is_accepted()
    {
        var chart = Helm.Template("--set", "interceptGroups.internal.enabled=true", "--set", "interceptGroups.internal.hosts={git.example.com:8443}",
            "--set", "interceptGroups.internal.namespaceSelector.matchLabels.team=a");
        chart.Config["interceptGroups"]!.AsArray().Select(g => (string)g!["name"]!).Should().Equal("internal");
    }
}
