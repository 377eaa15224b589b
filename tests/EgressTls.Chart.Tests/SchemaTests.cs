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
    [InlineData("logLevel=Trace", "logLevel")]
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
