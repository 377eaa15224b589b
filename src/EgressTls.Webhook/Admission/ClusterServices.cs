using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;
using EgressTls.Kubernetes.Reconciliation;
using EgressTls.Kubernetes.ServingCertificate;
using EgressTls.Pki;
using EgressTls.Webhook.Cluster;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Serving;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EgressTls.Webhook.Admission;

/// <summary>
/// The seam where the cluster implementations are registered: an <see cref="IAdmissionContextReader"/>
/// (namespace from an informer cache, Secret summaries), an <see cref="IDesiredStateApplier"/> (certificates
/// issued, Secrets copied, server-side apply in ApplyRank order), their readiness check (connected, CA loaded,
/// caches synced), the start-up service that connects with retries, and in self-managed mode the serving
/// certificate service. Standalone mode never calls this.
/// </summary>
internal static class ClusterServices
{
    /// <summary>Registers the cluster implementations for the client of <paramref name="source"/> (a kubeconfig
    /// file, or the in-cluster configuration), or returns <c>false</c> with the reason there is none.</summary>
    public static bool TryAdd(IServiceCollection services, WebhookConfig config, ClusterSource source, out string reason)
    {
        ArgumentNullException.ThrowIfNull(source);
        return TryAdd(services, config, () => KubernetesClientFactory.TryCreateFromEnvironment(source.KubeconfigPath), out reason, source.Description);
    }

    /// <summary>Registers the cluster implementations for the client <paramref name="clientFactory"/> makes
    /// (tests pass the stand-in's), or returns <c>false</c> with the reason when it makes none.</summary>
    /// <param name="services">Where the implementations are registered.</param>
    /// <param name="config">The validated configuration.</param>
    /// <param name="clientFactory">Makes the API client, or <c>null</c> when there is no configuration.</param>
    /// <param name="reason">Why nothing was registered.</param>
    /// <param name="origin">Where the client configuration comes from, for the reason.</param>
    public static bool TryAdd(IServiceCollection services, WebhookConfig config, Func<IKubernetes?> clientFactory, out string reason, string? origin = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(clientFactory);
        IKubernetes? client;
        try
        {
            client = clientFactory();
        }
        catch (Exception ex) when (ex is k8s.Exceptions.KubeConfigException or YamlDotNet.Core.YamlException or IOException or UnauthorizedAccessException)
        {
            reason = $"cannot read the Kubernetes client configuration{(origin is null ? "" : $" from {origin}")}: {ex.Message}; "
                + "run `egress-tls serve --standalone` to serve without a cluster";
            return false;
        }

        if (client is null)
        {
            reason = "no Kubernetes client configuration found (no in-cluster service account, no --kubeconfig, KUBECONFIG or ~/.kube/config); "
                + "run `egress-tls serve --standalone` to serve without a cluster";
            return false;
        }

        services.AddSingleton(client);
        services.AddSingleton(ShellOptions(config));
        services.AddSingleton<ClusterConnection>();
        services.AddSingleton<IAdmissionContextReader, ClusterAdmissionContextReader>();
        services.AddSingleton<IDesiredStateApplier, ClusterDesiredStateApplier>();
        services.AddHostedService<ClusterStartupService>();
        services.AddHealthChecks().AddCheck<ClusterHealthCheck>("kubernetes", tags: [HealthEndpoints.ReadyTag]);

        if (config.ServingCertificate.Mode == "self-managed" && config.Server.CertFile.Length == 0)
        {
            services.AddSingleton(ServingOptions(config));
            services.AddSingleton(sp => new ServingCertificateManager(
                sp.GetRequiredService<IKubernetes>(), sp.GetRequiredService<ServingCertificateOptions>(), new ApiCallPipeline(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<ServingCertificateManager>>()));
            services.AddHostedService<SelfManagedCertificateService>();
        }

        // The reconciler: leader-elected hosted service over the shell the cluster connection starts.
        services.AddEgressTlsReconciler(config.Reconciler.Enabled, sp => sp.GetRequiredService<ClusterConnection>().Shell, new ReconcilerOptions
        {
            Render = RenderOptionsFactory.Create(config),
            ResyncPeriod = config.Reconciler.ResyncPeriod,
            GarbageCollectionGracePeriod = config.Reconciler.GarbageCollectionGracePeriod,
            Flux = config.Flux.Enabled,
            LeafRenewal = config.Ca.Source == "cert-manager" ? null : new RenewalPolicy(config.Leaf.Duration, config.Leaf.RenewBefore),
            ProtectedKeys = [ObjectKeys.Of("v1", "Secret", config.Namespace, config.Ca.SecretName), ObjectKeys.Of("v1", "Secret", config.Namespace, config.ServingCertificate.SecretName)],
        }, new LeaderElectionOptions
        {
            Enabled = config.Reconciler.LeaderElection.Enabled,
            Namespace = config.Namespace,
            LeaseName = config.Reconciler.LeaderElection.LeaseName,
            LeaseDuration = config.Reconciler.LeaderElection.LeaseDuration,
            RenewDeadline = config.Reconciler.LeaderElection.RenewDeadline,
            RetryPeriod = config.Reconciler.LeaderElection.RetryPeriod,
        });
        reason = "";
        return true;
    }

    /// <summary>The shell's settings from the config file.</summary>
    public static KubernetesShellOptions ShellOptions(WebhookConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var render = RenderOptionsFactory.Create(config);
        KeyAlgorithms.TryParse(config.Ca.KeyAlgorithm, out var caAlgorithm, out _);
        KeyAlgorithms.TryParse(config.Leaf.KeyAlgorithm, out var leafAlgorithm, out _);
        var source = config.Ca.Source switch
        {
            "import" => CaSource.Import,
            "cert-manager" => CaSource.CertManager,
            _ => CaSource.Generate,
        };
        return new KubernetesShellOptions
        {
            Ca = new CaStoreOptions
            {
                Namespace = config.Namespace,
                SecretName = config.Ca.SecretName,
                Source = source,
                ImportSecretName = config.Ca.ImportSecretName,
            },
            CaGeneration = new CaOptions(caAlgorithm, config.Ca.Duration),
            CaRenewBefore = config.Ca.RenewBefore,
            CaPropagation = config.Ca.Rotation.Propagation,
            CaCheckInterval = config.Ca.Rotation.CheckInterval,
            Leaf = new RenewalPolicy(config.Leaf.Duration, config.Leaf.RenewBefore),
            LeafAlgorithm = leafAlgorithm,
            PublicRootsPem = File.Exists(config.PublicRoots.File) ? File.ReadAllText(config.PublicRoots.File) : null,
            Cilium = render.Cilium,
            DetectCilium = config.Cilium.SecretsMode == "auto",
            Applier = new ApplierOptions
            {
                WebhookNamespace = config.Namespace,
                CertManagerIssuer = source == CaSource.CertManager ? new CertManagerIssuer(config.Ca.CertManager.IssuerKind, config.Ca.CertManager.IssuerName) : null,
                LeafDuration = config.Leaf.Duration,
                LeafRenewBefore = config.Leaf.RenewBefore,
                // Half the grace period, at most a minute: well inside the time the leader keeps an object after a
                // pass last desired it (see ApplierOptions.TrustAppliedFor).
                TrustAppliedFor = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, config.Reconciler.GarbageCollectionGracePeriod.Ticks / 2)),
            },
            CertManagerCaSecretName = config.Ca.CertManager.CaSecretName,
            Informer = new InformerOptions { ResyncPeriod = config.Reconciler.ResyncPeriod },
        };
    }

    /// <summary>The self-managed serving certificate's settings from the config file.</summary>
    public static ServingCertificateOptions ServingOptions(WebhookConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var s = config.ServingCertificate;
        return new ServingCertificateOptions
        {
            Namespace = config.Namespace,
            SecretName = s.SecretName,
            ServiceName = s.ServiceName,
            WebhookConfigurationName = s.WebhookConfigurationName,
            Duration = s.Duration,
            RenewBefore = s.RenewBefore,
            CaDuration = s.Duration * 10,
            CaRenewBefore = s.Duration,
        };
    }
}
