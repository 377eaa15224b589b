namespace EgressTls.Kubernetes;

/// <summary>Settings of <see cref="DesiredStateApplier"/>.</summary>
public sealed record ApplierOptions
{
    /// <summary>The one server-side apply field manager for everything egress-tls writes.</summary>
    public string FieldManager { get; init; } = "egress-tls";

    /// <summary>The webhook's namespace (never a copy source: the CA key lives there).</summary>
    public string WebhookNamespace { get; init; } = "egress-tls";

    /// <summary>Who issues leaves.</summary>
    public LeafSource LeafSource { get; init; } = LeafSource.Pki;

    /// <summary>For <see cref="LeafSource.CertManager"/>: the issuer.</summary>
    public CertManagerIssuer? CertManagerIssuer { get; init; }

    /// <summary>Leaf lifetime (cert-manager <c>duration</c>).</summary>
    public TimeSpan LeafDuration { get; init; } = TimeSpan.FromHours(8760);

    /// <summary>Renew leaves this long before expiry (cert-manager <c>renewBefore</c>).</summary>
    public TimeSpan LeafRenewBefore { get; init; } = TimeSpan.FromHours(720);

    /// <summary>How often to look for the Secret cert-manager writes while waiting for it.</summary>
    public TimeSpan CertManagerPollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long this process trusts that an object it applied (or found up to date) is still there: past this, the
    /// next admission that needs it reads it again (one GET) before skipping the write. The leader's garbage
    /// collection deletes an object only a grace period after a pass last desired it, and every pod admitted with
    /// the object is desired once the leader sees it, so with this shorter than the grace period no replica skips
    /// an object the leader has collected (the chart runs two replicas; only one of them leads).
    /// </summary>
    public TimeSpan TrustAppliedFor { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The clock for <see cref="TrustAppliedFor"/>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Most entries kept in the last-applied cache (cleared when exceeded).</summary>
    public int MaxCacheEntries { get; init; } = 8192;

    /// <summary>Longest time one shared (single-flight) write may run, independent of the first caller's budget,
    /// so that the callers that joined it are not failed by the first one giving up.</summary>
    public TimeSpan SharedWorkTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
