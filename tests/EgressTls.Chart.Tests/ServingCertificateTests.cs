namespace EgressTls.Chart.Tests;

public sealed class ServingCertificateTests
{
    [Fact]
    public void Self_managed_mode_ships_no_certificate_and_lets_egress_tls_patch_its_own_webhook_configuration()
    {
        var chart = Helm.Template();
        chart.OfKind("Certificate").Should().BeEmpty();
        chart.OfKind("Issuer").Should().BeEmpty();
        chart.WebhookConfiguration["metadata"]!.AsObject().Should().NotContainKey("annotations");
        chart.Webhooks.Should().AllSatisfy(w => w["clientConfig"]!.AsObject().Should().NotContainKey("caBundle",
            "the app writes it; a chart value would be reverted to stale data on upgrade"));
        chart.Container["volumeMounts"]!.AsArray().Should().NotContain(m => (string)m!["mountPath"]! == "/tls");
        var rule = chart.Single("ClusterRole")["rules"]!.AsArray()
            .Single(r => r!["resources"]!.AsArray().Any(x => (string)x! == "mutatingwebhookconfigurations"))!;
        rule["resourceNames"]!.AsArray().Select(n => (string)n!).Should().Equal((string)chart.WebhookConfiguration["metadata"]!["name"]!);
    }

    [Fact]
    public void Cert_manager_mode_issues_the_serving_certificate_mounts_it_and_injects_its_ca()
    {
        var chart = Helm.Template("-f", "ci/cert-manager-values.yaml");
        var certificate = chart.Single("Certificate");
        var service = (string)chart.Single("Service")["metadata"]!["name"]!;
        certificate["spec"]!["dnsNames"]!.AsArray().Select(n => (string)n!).Should().Contain($"{service}.{Helm.ReleaseNamespace}.svc");
        var issuer = chart.Single("Issuer");
        issuer["spec"]!["selfSigned"].Should().NotBeNull();
        ((string?)certificate["spec"]!["issuerRef"]!["name"]).Should().Be((string?)issuer["metadata"]!["name"]);

        ((string?)chart.WebhookConfiguration["metadata"]!["annotations"]!["cert-manager.io/inject-ca-from"])
            .Should().Be($"{Helm.ReleaseNamespace}/{certificate["metadata"]!["name"]}");

        var mount = chart.Container["volumeMounts"]!.AsArray().Single(m => (string)m!["mountPath"]! == "/tls")!;
        var volume = chart.Deployment["spec"]!["template"]!["spec"]!["volumes"]!.AsArray().Single(v => (string)v!["name"]! == (string)mount["name"]!)!;
        ((string?)volume["secret"]!["secretName"]).Should().Be((string?)certificate["spec"]!["secretName"]);
        ((string?)chart.Config["server"]!["certFile"]).Should().Be("/tls/tls.crt");
    }

    [Fact]
    public void Cert_manager_mode_with_an_issuer_uses_it_instead_of_a_self_signed_one()
    {
        var chart = Helm.Template("--set", "servingCertificate.mode=cert-manager",
            "--set", "servingCertificate.certManager.issuerRef.name=webhooks", "--set", "servingCertificate.certManager.issuerRef.kind=ClusterIssuer");
        chart.OfKind("Issuer").Should().BeEmpty();
        var issuerRef = chart.Single("Certificate")["spec"]!["issuerRef"]!;
        ((string?)issuerRef["name"]).Should().Be("webhooks");
        ((string?)issuerRef["kind"]).Should().Be("ClusterIssuer");
    }
}
