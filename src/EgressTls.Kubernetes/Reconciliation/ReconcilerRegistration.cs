using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>Registers the leader-elected reconciler as a hosted service of the <c>serve</c> host.</summary>
public static class ReconcilerRegistration
{
    /// <summary>
    /// Adds <see cref="ReconcilerService"/> (a singleton, also the hosted service) built from the
    /// <see cref="KubernetesShell"/> that <paramref name="shell"/> returns once started (null before), the host's
    /// <see cref="TimeProvider"/>, loggers and meter factory. Does nothing when <paramref name="enabled"/> is false
    /// (<c>reconciler.enabled</c>).
    /// </summary>
    public static IServiceCollection AddEgressTlsReconciler(this IServiceCollection services, bool enabled, Func<IServiceProvider, KubernetesShell?> shell,
        ReconcilerOptions options, LeaderElectionOptions election)
    {
        if (!enabled)
        {
            return services;
        }

        services.AddSingleton(sp => ReconcilerService.Create(
            () => shell(sp),
            options,
            election,
            new ReconcilerMetrics(sp.GetService<IMeterFactory>()),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ReconcilerService>());
        return services;
    }
}
