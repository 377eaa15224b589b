using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Kubernetes.ServingCertificate;
using EgressTls.Testing;

namespace EgressTls.Kubernetes.Tests.ServingCertificate;

/// <summary>The serving certificate manager against the stand-in API server, with a clock moved by hand.</summary>
public sealed class ServingCertificateManagerTests : IAsyncLifetime
{
    private static readonly ServingCertificateOptions Options = new()
    {
        Namespace = "egress-tls",
        ServiceName = "egress-tls",
        WebhookConfigurationName = "egress-tls",
        Duration = TimeSpan.FromDays(30),
        RenewBefore = TimeSpan.FromDays(10),
        CaDuration = TimeSpan.FromDays(300),
        CaRenewBefore = TimeSpan.FromDays(30),
        CaPropagation = TimeSpan.FromMinutes(10),
    };

    private readonly ManualClock clock = new(DateTimeOffset.UtcNow);
    private StandInApiServer server = null!;

    public async Task InitializeAsync()
    {
        server = await StandInApiServer.StartAsync();
        server.Seed(new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["kind"] = "MutatingWebhookConfiguration",
            ["metadata"] = new JsonObject { ["name"] = "egress-tls" },
            ["webhooks"] = new JsonArray(Webhook("pods.egress-tls.io"), Webhook("providers.egress-tls.io")),
        }, "helm");
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task First_sync_creates_the_secret_and_sets_the_ca_bundle_of_every_webhook_that_validates_the_certificate()
    {
        var material = await Manager().SyncAsync(Budget());

        var secret = server.Find("secrets", "egress-tls", "egress-tls-serving-cert")!;
        secret["data"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo("tls.crt", "tls.key", "ca.crt", "ca.key");
        material.CaBundleCurrent.Should().BeTrue();
        CaBundles().Should().HaveCount(2).And.OnlyContain(b => b == material.CaBundlePem);
        Validates(material.Certificate, CaBundles()[0], "egress-tls.egress-tls.svc").Should().BeTrue();
        using var cert = X509Certificate2.CreateFromPem(material.Certificate.CertificatePem);
        cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().Should().BeEquivalentTo(
            "egress-tls.egress-tls.svc", "egress-tls.egress-tls.svc.cluster.local", "egress-tls.egress-tls", "egress-tls");
        var webhook = server.Find("mutatingwebhookconfigurations", null, "egress-tls")!["webhooks"]![0]!;
        ((string?)webhook["sideEffects"]).Should().Be("NoneOnDryRun", "only caBundle is written");
        ((string?)webhook["clientConfig"]!["service"]!["path"]).Should().Be("/mutate");
    }

    [Fact]
    public async Task Replicas_starting_together_create_one_secret_and_serve_the_same_certificate()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => Manager().SyncAsync(Budget()))));

        server.RequestLog.Count(e => e.Verb == "create" && e.Resource == "secrets" && e.StatusCode == 201).Should().Be(1);
        results.Select(r => r.Certificate.CertificatePem).Distinct().Should().ContainSingle();
    }

    [Fact]
    public async Task A_second_sync_with_nothing_due_writes_nothing()
    {
        await Manager().SyncAsync(Budget());
        server.ClearLog();

        await Manager().SyncAsync(Budget());

        server.RequestLog.Where(e => e.IsWrite).Should().BeEmpty();
    }

    [Fact]
    public async Task Renewal_issues_a_new_certificate_from_the_same_ca_and_leaves_the_ca_bundle_alone()
    {
        var first = await Manager().SyncAsync(Budget());
        server.ClearLog();

        clock.Now += TimeSpan.FromDays(21);
        var renewed = await Manager().SyncAsync(Budget());

        renewed.Certificate.CertificatePem.Should().NotBe(first.Certificate.CertificatePem);
        renewed.CaBundlePem.Should().Be(first.CaBundlePem);
        server.RequestLog.Where(e => e.IsWrite).Should().ContainSingle().Which.Resource.Should().Be("secrets");
        Validates(renewed.Certificate, CaBundles()[0], "egress-tls.egress-tls.svc").Should().BeTrue();
    }

    [Fact]
    public async Task Ca_rotation_publishes_the_next_ca_before_it_signs_and_keeps_the_old_one_during_the_overlap()
    {
        var first = await Manager().SyncAsync(Budget());

        clock.Now += TimeSpan.FromDays(271);
        var staged = await Manager().SyncAsync(Budget());
        staged.Certificate.CertificatePem.Should().NotBe(first.Certificate.CertificatePem, "the certificate was due as well");
        Pems(CaBundles()[0]).Should().HaveCount(2);
        Validates(staged.Certificate, CaBundles()[0], "egress-tls.egress-tls.svc").Should().BeTrue();

        clock.Now += TimeSpan.FromMinutes(11);
        var promoted = await Manager().SyncAsync(Budget());

        Pems(CaBundles()[0]).Should().HaveCount(2).And.Contain(Pems(first.CaBundlePem)[0]);
        Validates(promoted.Certificate, CaBundles()[0], "egress-tls.egress-tls.svc").Should().BeTrue();
        Validates(staged.Certificate, CaBundles()[0], "egress-tls.egress-tls.svc").Should().BeTrue("a replica still serving the old certificate stays trusted");
        Validates(promoted.Certificate, first.CaBundlePem, "egress-tls.egress-tls.svc").Should().BeFalse("the new certificate is signed by the new CA");

        clock.Now += TimeSpan.FromDays(30);
        await Manager().SyncAsync(Budget());
        Pems(CaBundles()[0]).Should().ContainSingle("the old CA has expired");
    }

    [Fact]
    public async Task A_damaged_secret_is_replaced()
    {
        server.Seed(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "egress-tls-serving-cert", ["namespace"] = "egress-tls" },
            ["data"] = new JsonObject { ["tls.crt"] = Convert.ToBase64String("junk"u8.ToArray()) },
        });

        var material = await Manager().SyncAsync(Budget());

        Validates(material.Certificate, CaBundles()[0], "egress-tls.egress-tls.svc").Should().BeTrue();
    }

    [Fact]
    public async Task A_missing_webhook_configuration_is_reported_not_thrown()
    {
        await using var empty = await StandInApiServer.StartAsync();

        var material = await new ServingCertificateManager(KubernetesClientFactory.ForHost(empty.Url), Options, Pipeline(), clock).SyncAsync(Budget());

        material.CaBundleCurrent.Should().BeFalse();
        empty.Find("secrets", "egress-tls", "egress-tls-serving-cert").Should().NotBeNull();
    }

    internal static bool Validates(ServingKeyPair certificate, string caBundlePem, string host, DateTimeOffset? at = null)
    {
        using var cert = X509Certificate2.CreateFromPem(certificate.CertificatePem);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = (at ?? cert.NotBefore.AddMinutes(2)).UtcDateTime;
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(caBundlePem);
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        return chain.Build(cert) && cert.MatchesHostname(host);
    }

    private static List<string> Pems(string bundle)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPem(bundle);
        return [.. all.Select(c => c.Thumbprint)];
    }

    private List<string> CaBundles() =>
        [.. server.Find("mutatingwebhookconfigurations", null, "egress-tls")!["webhooks"]!.AsArray()
            .Select(w => Encoding.UTF8.GetString(Convert.FromBase64String((string)w!["clientConfig"]!["caBundle"]!)))];

    private ServingCertificateManager Manager() => new(KubernetesClientFactory.ForHost(server.Url), Options, Pipeline(), clock);

    private static ApiCallPipeline Pipeline() =>
        new(new ApiRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50) });

    private static CancellationToken Budget() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static JsonObject Webhook(string name) => new()
    {
        ["name"] = name,
        ["clientConfig"] = new JsonObject { ["service"] = new JsonObject { ["name"] = "egress-tls", ["namespace"] = "egress-tls", ["path"] = "/mutate" } },
        ["sideEffects"] = "NoneOnDryRun",
        ["admissionReviewVersions"] = new JsonArray("v1"),
    };
}
