using System.Net;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;
using k8s.Autorest;
using k8s.Models;

namespace EgressTls.Kubernetes.Tests;

/// <summary>The pure parts of the shell, tested directly.</summary>
public sealed class PureRulesTests
{
    [Theory]
    [InlineData("3", 3.0)]
    [InlineData(" 0 ", 0.0)]
    [InlineData("Sun, 22 Nov 2026 12:00:10 GMT", 10.0)]
    [InlineData("Sun, 22 Nov 2026 11:00:00 GMT", 0.0)]
    [InlineData("soon", null)]
    [InlineData(null, null)]
    public void Retry_after_is_seconds_or_an_http_date(string? header, double? seconds)
    {
        var now = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
        ApiCallPipeline.ParseRetryAfter(header, now)?.TotalSeconds.Should().Be(seconds);
    }

    [Theory]
    [InlineData(429, false, true)]
    [InlineData(500, false, true)]
    [InlineData(503, false, true)]
    [InlineData(404, false, false)]
    [InlineData(409, false, false)]
    [InlineData(404, true, true)]
    [InlineData(409, true, true)]
    [InlineData(403, true, false)]
    [InlineData(422, true, false)]
    public void Which_api_answers_are_retried(int status, bool write, bool retried)
    {
        var e = new HttpOperationException("x")
        {
            Response = new HttpResponseMessageWrapper(new HttpResponseMessage((HttpStatusCode)status), ""),
        };

        ApiCallPipeline.IsTransient(e, write).Should().Be(retried);
    }

    [Fact]
    public void Transport_errors_and_attempt_timeouts_are_retried_but_bugs_are_not()
    {
        ApiCallPipeline.IsTransient(new HttpRequestException("reset"), false).Should().BeTrue();
        ApiCallPipeline.IsTransient(new IOException("eof"), false).Should().BeTrue();
        ApiCallPipeline.IsTransient(new Polly.Timeout.TimeoutRejectedException(), false).Should().BeTrue();
        ApiCallPipeline.IsTransient(new InvalidOperationException(), true).Should().BeFalse();
    }

    [Fact]
    public void Content_hash_ignores_key_order_and_its_own_annotation()
    {
        var a = Objects.Cnp();
        var reordered = new GeneratedObject(new JsonObject(a.Manifest.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))));
        var annotated = new GeneratedObject(a.Manifest.DeepClone().AsObject());
        annotated.Manifest["metadata"]!["annotations"] = new JsonObject { [ContentHash.Annotation] = "old" };

        ContentHash.Compute(reordered, "ca-1").Should().Be(ContentHash.Compute(a, "ca-1"));
        ContentHash.Compute(new GeneratedObject(annotated.Manifest), "ca-1").Should().Be(ContentHash.Compute(a, "ca-1"));
    }

    [Fact]
    public void Content_hash_changes_with_the_spec_the_content_and_the_ca_only_where_the_ca_matters()
    {
        ContentHash.Compute(Objects.Cnp(host: "a.test"), null).Should().NotBe(ContentHash.Compute(Objects.Cnp(host: "b.test"), null));
        ContentHash.Compute(Objects.LeafSecret(), "ca-1").Should().NotBe(ContentHash.Compute(Objects.LeafSecret(), "ca-2"));
        ContentHash.Compute(Objects.TrustBundle(), "ca-1").Should().NotBe(ContentHash.Compute(Objects.TrustBundle(), "ca-2"));
        var leaf = Objects.LeafSecret();
        var otherNames = leaf with { Content = new LeafCertificateContent(["gitlab.com"], []) };
        ContentHash.Compute(leaf, "ca-1").Should().NotBe(ContentHash.Compute(otherNames, "ca-1"));
        ContentHash.UsesMaterial(new CopiedSecretContent("a", "b", ["tls.crt"])).Should().BeFalse();
        ContentHash.UsesMaterial(new CaOnlyContent("a", "b")).Should().BeFalse();
        ContentHash.UsesMaterial(new CaOnlyContent(null, null)).Should().BeTrue();
    }

    [Fact]
    public void Copy_rules_allow_only_the_workload_namespace_and_never_the_webhook_namespace()
    {
        var copy = Objects.ClientCertCopy("team-a", "cert", workloadNs: "team-a");
        SecretCopyRules.WorkloadNamespace(copy).Should().Be("team-a");
        SecretCopyRules.Violation(copy, "team-a", "egress-tls").Should().BeNull();
        SecretCopyRules.Violation(copy, "team-b", "egress-tls").Should().Contain("may only use Secrets of its own namespace");
        SecretCopyRules.Violation(copy, null, "egress-tls").Should().NotBeNull();
        var inWebhookNs = Objects.ClientCertCopy("egress-tls", "egress-tls-ca", workloadNs: "egress-tls");
        SecretCopyRules.Violation(inWebhookNs, "egress-tls", "egress-tls").Should().Contain("out of the egress-tls namespace");
    }

    [Fact]
    public void Cert_manager_certificate_requests_the_names_from_the_issuer()
    {
        var leaf = Objects.LeafSecret();
        var content = new LeafCertificateContent(["github.com", "*.github.com"], ["10.0.0.1"]);

        var cert = CertManagerCertificates.Build(leaf, content, new CertManagerIssuer("ClusterIssuer", "corp"), "egress-tls", TimeSpan.FromHours(8760), TimeSpan.FromMinutes(90));

        ((string?)cert["apiVersion"]).Should().Be("cert-manager.io/v1");
        var spec = cert["spec"]!;
        spec["dnsNames"]!.AsArray().Select(n => (string?)n).Should().Equal("github.com", "*.github.com");
        spec["ipAddresses"]!.AsArray().Select(n => (string?)n).Should().Equal("10.0.0.1");
        ((string?)spec["duration"]).Should().Be("8760h");
        ((string?)spec["renewBefore"]).Should().Be("90m");
        ((string?)spec["issuerRef"]!["kind"]).Should().Be("ClusterIssuer");
        ((string?)spec["secretName"]).Should().Be(CertManagerCertificates.IssuedSecretName(leaf.Name));
        ((string?)cert["metadata"]!["labels"]![Naming.ManagedByLabel]).Should().Be(Naming.ManagedByValue);
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void Cert_manager_certificate_leaves_out_a_common_name_longer_than_64_characters(int length, bool kept)
    {
        // cert-manager's admission webhook refuses spec.commonName over 64 characters (ub-common-name, RFC 5280 A.1).
        var first = new string('a', length - ".example.test".Length) + ".example.test";
        var content = new LeafCertificateContent([first, "short.example.test"], []);

        var spec = CertManagerCertificates.Build(Objects.LeafSecret(), content, new CertManagerIssuer("ClusterIssuer", "corp"), "egress-tls",
            TimeSpan.FromHours(8760), TimeSpan.FromHours(720))["spec"]!.AsObject();

        first.Length.Should().Be(length);
        spec.ContainsKey("commonName").Should().Be(kept);
        if (kept)
        {
            ((string?)spec["commonName"]).Should().Be(first);
        }

        spec["dnsNames"]!.AsArray().Select(n => (string?)n).Should().Equal(first, "short.example.test");
    }

    [Theory]
    [InlineData("v1", "Secret", "", "v1", "secrets")]
    [InlineData("cilium.io/v2", "CiliumNetworkPolicy", "cilium.io", "v2", "ciliumnetworkpolicies")]
    [InlineData("cilium.io/v2", "CiliumClusterwideEnvoyConfig", "cilium.io", "v2", "ciliumclusterwideenvoyconfigs")]
    [InlineData("cert-manager.io/v1", "Certificate", "cert-manager.io", "v1", "certificates")]
    [InlineData("notification.toolkit.fluxcd.io/v1beta3", "Provider", "notification.toolkit.fluxcd.io", "v1beta3", "providers")]
    public void Resource_names(string apiVersion, string kind, string group, string version, string plural) =>
        ResourceNames.Of(apiVersion, kind).Should().Be((group, version, plural));

    [Fact]
    public void Secret_summary_has_type_and_key_names_only()
    {
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "s" },
            Data = new Dictionary<string, byte[]> { ["tls.key"] = "-----BEGIN PRIVATE KEY-----"u8.ToArray() },
            StringData = new Dictionary<string, string> { ["ca.crt"] = "x" },
        };

        var summary = ModelMapping.ToSecretSummary(secret);

        (summary.Name, summary.Type).Should().Be(("s", "Opaque"));
        summary.Keys.Should().Equal("ca.crt", "tls.key");
        summary.ToString().Should().NotContain("PRIVATE");
    }
}
