namespace EgressTls.Pki;

/// <summary>
/// When the interception CA rotates and how long each phase lasts (config <c>ca.renewBefore</c>,
/// <c>ca.rotation.propagation</c>; the leaf lifetime comes from <c>leaf.duration</c>).
/// </summary>
/// <param name="RenewBefore">A new CA is introduced once the active one has less than this left.</param>
/// <param name="Propagation">
/// How long a new CA sits in every trust bundle before it signs anything. The kubelet refreshes ConfigMap
/// volumes within about a minute, but most TLS stacks read their CA file once at process start, so the
/// default (24h) leaves room for pods to pick the new anchor up through their normal restarts.
/// </param>
/// <param name="LeafRetention">
/// How long a retired CA stays in the bundles after it stopped signing: the lifetime of the last leaf it may
/// have signed (leaf duration) plus the time another replica may take to notice the promotion.
/// </param>
public sealed record CaRotationPolicy(TimeSpan RenewBefore, TimeSpan Propagation, TimeSpan LeafRetention)
{
    /// <summary>Default <see cref="Propagation"/>: 24 hours.</summary>
    public static readonly TimeSpan DefaultPropagation = TimeSpan.FromHours(24);

    /// <summary>When a new CA must be introduced in place of <paramref name="active"/>.</summary>
    public DateTimeOffset RenewalTime(CertificateAuthority active)
    {
        ArgumentNullException.ThrowIfNull(active);
        return active.NotAfter - RenewBefore;
    }
}
