using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>
/// Runs the <see cref="Reconciler"/> on one replica at a time: a coordination.k8s.io/v1 Lease
/// elects the leader (the client's LeaderElector with a LeaseLock: get, create and update, which is what the
/// chart's RBAC grants); the reconciler runs while this replica leads and is cancelled the moment leadership is
/// lost (renewal missed its deadline), so two replicas never write together. On shutdown the lease is handed
/// back (holder cleared) so another replica takes over at its next retry instead of after the lease duration.
/// Admission and readiness do not depend on leadership: every replica serves.
/// </summary>
public sealed class ReconcilerService : BackgroundService
{
    private readonly Func<CancellationToken, Task<(Reconciler Reconciler, IKubernetes Client)>>? pending;
    private readonly LeaderElectionOptions election;
    private Reconciler? reconciler;
    private IKubernetes? client;
    private readonly ILogger logger;
    private int leading;

    /// <summary>Creates the service.</summary>
    public ReconcilerService(Reconciler reconciler, IKubernetes client, LeaderElectionOptions election, ILogger<ReconcilerService>? logger = null)
    {
        this.reconciler = reconciler;
        this.client = client;
        this.election = election;
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Creates a service whose reconciler is built by <paramref name="start"/> once the cluster connection is up
    /// (the host connects with retries after it starts serving).</summary>
    public ReconcilerService(Func<CancellationToken, Task<(Reconciler Reconciler, IKubernetes Client)>> start, LeaderElectionOptions election, ILogger<ReconcilerService>? logger = null)
    {
        pending = start;
        this.election = election;
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>True while this replica leads (and reconciles).</summary>
    public bool IsLeader => Volatile.Read(ref leading) == 1;

    /// <summary>This replica's identity in the Lease.</summary>
    public string Identity => election.Identity;

    /// <summary>The reconciler this service runs.</summary>
    public Reconciler Reconciler => reconciler ?? throw new InvalidOperationException("the reconciler is built once the cluster connection is up");

    /// <summary>Builds the service from the shell's pieces (client, namespace informer, applier, material, pipeline);
    /// <paramref name="shell"/> returns null until the host's cluster connection has started the shell.</summary>
    public static ReconcilerService Create(Func<KubernetesShell?> shell, ReconcilerOptions options, LeaderElectionOptions election, ReconcilerMetrics metrics,
        TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(shell);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        return new ReconcilerService(async ct =>
        {
            KubernetesShell? started;
            while ((started = shell()) is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
            }

            // The applier's material: the CA's, or in cert-manager CA mode the issuer's trust anchors (hashes must agree).
            var reconciler = new Reconciler(started.Client, started.Namespaces, started.Applier, (ICertificateMaterial?)started.Material ?? started.CertManagerTrust, started.Pipeline,
                options with { Render = options.Render with { Cilium = started.Cilium.Target } }, metrics, time, loggers,
                caNotAfter: started.Material is { } m ? () => m.Authority.NotAfter : null);

            // A CA rotation step changes the material's fingerprint, so every bundle and leaf hash is stale: reconcile now.
            if (started.Material is { } rotating)
            {
                rotating.Changed += (_, _) => reconciler.Trigger.Signal();
            }

            return (reconciler, started.Client);
        }, election, loggers.CreateLogger<ReconcilerService>());
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (reconciler is null || client is null)
        {
            try
            {
                (reconciler, client) = await pending!(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }

        if (!election.Enabled)
        {
            Lead(true);
            try
            {
                await reconciler.RunAsync(stoppingToken).ConfigureAwait(false);
            }
            finally
            {
                Lead(false);
            }

            return;
        }

        var leaseLock = new LeaseLock(client, election.Namespace, election.LeaseName, election.Identity);
        while (!stoppingToken.IsCancellationRequested)
        {
            CancellationTokenSource? term = null;
            Task? run = null;
            using var elector = new LeaderElector(new LeaderElectionConfig(leaseLock)
            {
                LeaseDuration = election.LeaseDuration,
                RenewDeadline = election.RenewDeadline,
                RetryPeriod = election.RetryPeriod,
            });
            elector.OnStartedLeading += () =>
            {
                logger.LogInformation("{Identity} leads (Lease {Namespace}/{Lease}): reconciling", election.Identity, election.Namespace, election.LeaseName);
                term = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                Lead(true);
                var token = term.Token;
                run = Task.Run(() => reconciler.RunAsync(token), CancellationToken.None);
            };
            elector.OnStoppedLeading += () =>
            {
                // Stop writing now: cancelling the pass cancels every apply and delete it has in flight.
                Lead(false);
                term?.Cancel();
                logger.LogInformation("{Identity} stopped leading", election.Identity);
            };

            try
            {
                await elector.RunUntilLeadershipLostAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Leader election on {Namespace}/{Lease} failed: {Error}", election.Namespace, election.LeaseName, e.Message);
            }

            var wasLeading = IsLeader || run is not null;
            Lead(false);
            term?.Cancel();
            if (run is not null)
            {
                try
                {
                    await run.ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    if (e is not OperationCanceledException)
                    {
                        logger.LogError(e, "The reconciler stopped with an error");
                    }
                }
            }

            term?.Dispose();
            if (stoppingToken.IsCancellationRequested && wasLeading && election.ReleaseOnStop)
            {
                await ReleaseAsync(leaseLock).ConfigureAwait(false);
            }

            if (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(election.RetryPeriod, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    private void Lead(bool value)
    {
        Volatile.Write(ref leading, value ? 1 : 0);
        reconciler?.Metrics.Leading(value);
    }

    // As client-go's ReleaseOnCancel: clear the holder so the next candidate need not wait out the lease.
    private async Task ReleaseAsync(LeaseLock leaseLock)
    {
        try
        {
            using var cts = new CancellationTokenSource(election.RenewDeadline);
            var record = await leaseLock.GetAsync(cts.Token).ConfigureAwait(false);
            if (record.HolderIdentity != election.Identity)
            {
                return;
            }

            await leaseLock.UpdateAsync(new LeaderElectionRecord
            {
                HolderIdentity = "",
                LeaseDurationSeconds = 1,
                AcquireTime = record.AcquireTime,
                RenewTime = DateTime.UtcNow,
                LeaderTransitions = record.LeaderTransitions,
            }, cts.Token).ConfigureAwait(false);
            logger.LogInformation("{Identity} released Lease {Namespace}/{Lease}", election.Identity, election.Namespace, election.LeaseName);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogInformation("Could not release Lease {Namespace}/{Lease} ({Error}); it expires after its duration", election.Namespace, election.LeaseName, e.GetType().Name);
        }
    }
}
