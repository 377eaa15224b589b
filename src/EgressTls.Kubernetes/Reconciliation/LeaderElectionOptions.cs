namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>Config <c>reconciler.leaderElection</c>: one coordination.k8s.io/v1 Lease elects the replica that reconciles.</summary>
public sealed record LeaderElectionOptions
{
    /// <summary>False: reconcile without an election (a single replica).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The Lease's namespace (the release namespace; the chart's RBAC grants leases there).</summary>
    public string Namespace { get; init; } = "egress-tls";

    /// <summary>The Lease's name (the chart's RBAC names it).</summary>
    public string LeaseName { get; init; } = "egress-tls-leader";

    /// <summary>This replica's identity (pod name plus a random suffix by default: a restarted pod is a new candidate).</summary>
    public string Identity { get; init; } = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>How long a lease is valid without renewal: the longest failover after a crash.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A leader that cannot renew within this stops leading (and stops writing).</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Clear the Lease holder on shutdown so another replica need not wait out the lease (client-go's
    /// ReleaseOnCancel). Tests turn it off to act as a crashed leader.</summary>
    public bool ReleaseOnStop { get; init; } = true;

    /// <summary>How often candidates try to acquire, and the leader renews.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}
