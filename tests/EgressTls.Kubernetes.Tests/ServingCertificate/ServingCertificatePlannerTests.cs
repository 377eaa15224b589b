using System.Text.Json.Nodes;
using EgressTls.Kubernetes.ServingCertificate;

namespace EgressTls.Kubernetes.Tests.ServingCertificate;

public sealed class ServingCertificatePlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly ServingCertificateOptions Options = new()
    {
        Duration = TimeSpan.FromDays(365),
        RenewBefore = TimeSpan.FromDays(30),
        CaDuration = TimeSpan.FromDays(3650),
        CaRenewBefore = TimeSpan.FromDays(365),
        CaPropagation = TimeSpan.FromMinutes(10),
    };

    private static ServingFacts Healthy() => new(Now.AddDays(3000), Now.AddDays(200), true, null, null);

    [Fact]
    public void No_secret_means_create() =>
        ServingCertificatePlanner.Plan(null, Now, Options).Should().Be(ServingStep.Create);

    [Fact]
    public void A_certificate_far_from_expiry_is_up_to_date() =>
        ServingCertificatePlanner.Plan(Healthy(), Now, Options).Should().Be(ServingStep.UpToDate);

    [Fact]
    public void A_certificate_within_renew_before_is_renewed()
    {
        ServingCertificatePlanner.Plan(Healthy() with { CertificateNotAfter = Now.AddDays(30) }, Now, Options).Should().Be(ServingStep.RenewCertificate);
        ServingCertificatePlanner.Plan(Healthy() with { CertificateNotAfter = Now.AddDays(31) }, Now, Options).Should().Be(ServingStep.UpToDate);
    }

    [Fact]
    public void A_certificate_for_other_names_or_another_ca_is_renewed() =>
        ServingCertificatePlanner.Plan(Healthy() with { CertificateMatches = false }, Now, Options).Should().Be(ServingStep.RenewCertificate);

    [Fact]
    public void A_ca_within_its_renew_before_stages_the_next_ca_before_signing_anything_with_it() =>
        ServingCertificatePlanner.Plan(Healthy() with { CaNotAfter = Now.AddDays(365) }, Now, Options).Should().Be(ServingStep.StageNextCa);

    [Fact]
    public void A_staged_ca_is_promoted_only_after_the_propagation_delay()
    {
        var staged = Healthy() with { CaNotAfter = Now.AddDays(300), NextCaStagedAt = Now };

        ServingCertificatePlanner.Plan(staged, Now.AddMinutes(9), Options).Should().Be(ServingStep.UpToDate);
        ServingCertificatePlanner.Plan(staged, Now.AddMinutes(10), Options).Should().Be(ServingStep.PromoteNextCa);
    }

    [Fact]
    public void A_staged_ca_waiting_for_propagation_does_not_block_an_urgent_certificate_renewal()
    {
        var staged = Healthy() with { CaNotAfter = Now.AddDays(300), NextCaStagedAt = Now, CertificateNotAfter = Now.AddDays(1) };

        ServingCertificatePlanner.Plan(staged, Now.AddMinutes(1), Options).Should().Be(ServingStep.RenewCertificate);
    }

    [Fact]
    public void The_previous_ca_is_dropped_once_it_has_expired()
    {
        ServingCertificatePlanner.Plan(Healthy() with { PreviousCaNotAfter = Now.AddDays(1) }, Now, Options).Should().Be(ServingStep.UpToDate);
        ServingCertificatePlanner.Plan(Healthy() with { PreviousCaNotAfter = Now }, Now, Options).Should().Be(ServingStep.DropPreviousCa);
    }

    [Fact]
    public void A_certificate_never_outlives_its_ca()
    {
        ServingCertificatePlanner.CertificateNotAfter(Now, TimeSpan.FromDays(365), Now.AddDays(10)).Should().Be(Now.AddDays(10));
        ServingCertificatePlanner.CertificateNotAfter(Now, TimeSpan.FromDays(365), Now.AddDays(1000)).Should().Be(Now.AddDays(365));
    }

    [Fact]
    public void The_certificate_names_the_service_as_the_api_server_calls_it() =>
        ServingCertificatePlanner.DnsNames("egress-tls", "infra").Should().Equal(
            "egress-tls.infra.svc", "egress-tls.infra.svc.cluster.local", "egress-tls.infra", "egress-tls");

    [Fact]
    public void The_ca_bundle_keeps_valid_cas_in_order_without_duplicates()
    {
        var bundle = ServingCertificatePlanner.CaBundle(
            [("A\n", Now.AddDays(1)), (null, Now.AddDays(1)), ("B", Now.AddDays(1)), ("A", Now.AddDays(1)), ("C", Now)], Now);

        bundle.Should().Be("A\nB\n");
    }

    [Fact]
    public void The_ca_bundle_patch_is_empty_when_every_webhook_holds_it() =>
        WebhookCaBundle.Patch(Configuration("QQ==", "QQ=="), "QQ==").Should().BeEmpty();

    [Fact]
    public void The_ca_bundle_patch_tests_the_resource_version_and_sets_only_differing_webhooks()
    {
        var ops = WebhookCaBundle.Patch(Configuration("QQ==", null), "QQ==");

        ops.ToJsonString().Should().Be(
            """[{"op":"test","path":"/metadata/resourceVersion","value":"42"},{"op":"add","path":"/webhooks/1/clientConfig/caBundle","value":"QQ=="}]""");
    }

    private static JsonObject Configuration(params string?[] bundles) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "egress-tls", ["resourceVersion"] = "42" },
        ["webhooks"] = new JsonArray([.. bundles.Select((b, i) => (JsonNode?)new JsonObject
        {
            ["name"] = $"w{i}.egress-tls.io",
            ["clientConfig"] = b is null ? new JsonObject { ["service"] = new JsonObject { ["name"] = "egress-tls" } } : new JsonObject { ["caBundle"] = b },
        })]),
    };
}
