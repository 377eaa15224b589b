using EgressTls.Kubernetes;
using EgressTls.Webhook.Admission;
using EgressTls.Webhook.Cluster;
using EgressTls.Webhook.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;

namespace EgressTls.Webhook.Tests.Cluster;

/// <summary>How the config file maps onto the Kubernetes side, and what readiness says before it has started.</summary>
public sealed class ClusterServicesTests
{
    [Fact]
    public void Cert_manager_ca_mode_maps_issuer_and_trust_anchor_source_and_the_webhook_namespace()
    {
        var config = new WebhookConfig
        {
            Namespace = "infra",
            Ca = new CaConfig
            {
                Source = "cert-manager",
                CertManager = new CertManagerConfig { IssuerKind = "Issuer", IssuerName = "internal-ca", CaSecretName = "internal-ca-bundle" },
            },
            Cilium = new CiliumConfig { SecretsMode = "inline", Version = "1.16" },
        };

        var options = ClusterServices.ShellOptions(config);

        options.Ca.Source.Should().Be(CaSource.CertManager);
        options.Ca.Namespace.Should().Be("infra");
        options.Applier.WebhookNamespace.Should().Be("infra");
        options.Applier.CertManagerIssuer.Should().Be(new CertManagerIssuer("Issuer", "internal-ca"));
        options.CertManagerCaSecretName.Should().Be("internal-ca-bundle");
        options.DetectCilium.Should().BeFalse("secretsMode inline is explicit");
    }

    [Theory]
    [InlineData(120, 60)]
    [InlineData(30, 15)]
    [InlineData(3600, 60)]
    public void Applied_objects_are_trusted_for_half_the_garbage_collection_grace_period_at_most_a_minute(int grace, int seconds)
    {
        var config = new WebhookConfig
        {
            Reconciler = new ReconcilerConfig { GarbageCollectionGracePeriod = TimeSpan.FromSeconds(grace) },
        };

        ClusterServices.ShellOptions(config).Applier.TrustAppliedFor.Should().Be(TimeSpan.FromSeconds(seconds));
    }

    [Fact]
    public void Serving_certificate_options_take_the_names_the_chart_passes()
    {
        var config = new WebhookConfig
        {
            Namespace = "infra",
            ServingCertificate = new ServingCertificateConfig { SecretName = "rel-egress-tls-serving-cert", ServiceName = "rel-egress-tls", WebhookConfigurationName = "rel-egress-tls" },
        };

        var serving = ClusterServices.ServingOptions(config);

        serving.Namespace.Should().Be("infra");
        serving.SecretName.Should().Be("rel-egress-tls-serving-cert");
        serving.WebhookConfigurationName.Should().Be("rel-egress-tls");
        serving.CaDuration.Should().BeGreaterThan(serving.Duration);
    }

    [Fact]
    public void No_client_configuration_is_refused_with_a_reason_naming_standalone()
    {
        var added = ClusterServices.TryAdd(new ServiceCollection(), new WebhookConfig(), () => null, out var reason);

        added.Should().BeFalse();
        reason.Should().Contain("--standalone").And.Contain("KUBECONFIG");
    }

    [Fact]
    public async Task Readiness_before_the_connection_started_is_unhealthy_with_the_start_up_reason()
    {
        var connection = new ClusterConnection { Status = "cannot start against the Kubernetes API at https://10.0.0.1/: the API server could not be reached" };

        var result = await new ClusterHealthCheck(connection, new WebhookConfig()).CheckHealthAsync(new HealthCheckContext());

        result.Status.Should().Be(HealthStatus.Unhealthy);
        result.Description.Should().Contain("could not be reached");
    }
}
