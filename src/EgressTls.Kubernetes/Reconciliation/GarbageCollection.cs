using System.Collections.Immutable;
using EgressTls.Core;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>
/// Which managed objects to delete, pure. An object is deleted only when all of these hold: it carries
/// <c>app.kubernetes.io/managed-by=egress-tls</c> and the applier's content-hash annotation (so the CA Secret,
/// the serving certificate and anything else egress-tls created by other means are never touched); its name is
/// not protected; nothing desires it; no retained scope covers it; and the grace period has passed since it was
/// created (an admission may have just created it for a pod the informers do not show yet) and since a pass last
/// desired it (another replica may have admitted a pod with it shortly before, and trusts for a while that it
/// exists: <see cref="ApplierOptions.TrustAppliedFor"/>, shorter than the grace period). Shared Secrets (leaves,
/// public roots) are therefore deleted only when no desired profile names them, and never while some scope is
/// retained (a retained policy may name them). Order: policies, then Envoy configs, then Secrets and
/// ConfigMaps (the reverse of apply order, so no policy ever names a missing Secret or listener).
/// </summary>
public static class GarbageCollection
{
    /// <summary>The objects to delete, in deletion order.</summary>
    public static ImmutableArray<LiveState> Plan(
        IEnumerable<LiveState> live,
        IReadOnlySet<string> desiredKeys,
        IReadOnlyCollection<RetainedScope> retained,
        DateTimeOffset now,
        GracePeriod gracePeriod,
        IReadOnlySet<string> protectedKeys)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(desiredKeys);
        ArgumentNullException.ThrowIfNull(retained);
        ArgumentNullException.ThrowIfNull(protectedKeys);
        return [.. live
            .Where(o => IsCollectable(o, desiredKeys, retained, now, gracePeriod, protectedKeys))
            .OrderByDescending(o => o.Rank)
            .ThenBy(o => o.Key, StringComparer.Ordinal)];
    }

    /// <summary>True when <paramref name="o"/> may be deleted (see the type's rules).</summary>
    public static bool IsCollectable(
        LiveState o, IReadOnlySet<string> desiredKeys, IReadOnlyCollection<RetainedScope> retained, DateTimeOffset now, GracePeriod gracePeriod, IReadOnlySet<string> protectedKeys)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(gracePeriod);
        if (ObjectKeys.Label(o.Manifest, Naming.ManagedByLabel) != Naming.ManagedByValue
            || o.ContentHashValue is null
            || o.Rank > 2
            || protectedKeys.Contains(o.Key)
            || desiredKeys.Contains(o.Key))
        {
            return false;
        }

        // Unknown age counts as young: never delete what might have just been created.
        if (o.Created is not { } created || now - created < gracePeriod.Period || now - gracePeriod.LastDesired(o.Key) < gracePeriod.Period)
        {
            return false;
        }

        if (ObjectKeys.IsShared(o.Manifest))
        {
            return retained.Count == 0;
        }

        var workload = ObjectKeys.WorkloadNamespace(o.Manifest);
        var profile = ObjectKeys.Label(o.Manifest, Naming.ProfileLabel);
        var provider = ObjectKeys.Label(o.Manifest, DesiredState.ProviderLabel);
        return !retained.Any(r => r.Namespace == workload
            && ((profile is null && provider is null)
                || (profile is not null && r.Profile == profile)
                || (provider is not null && r.Provider == provider)));
    }
}

/// <summary>The grace period of garbage collection and when objects were last desired.</summary>
/// <param name="Period">How long an object must have existed and gone undesired.</param>
/// <param name="Desired">When a pass last desired each object.</param>
/// <param name="KnownSince">Since when <paramref name="Desired"/> is complete (the leader's term start): an object
/// it does not hold counts as desired then.</param>
public sealed record GracePeriod(TimeSpan Period, IReadOnlyDictionary<string, DateTimeOffset> Desired, DateTimeOffset KnownSince)
{
    /// <summary>When <paramref name="key"/> was last desired, as far as this leader can tell.</summary>
    public DateTimeOffset LastDesired(string key) => Desired.TryGetValue(key, out var at) && at > KnownSince ? at : KnownSince;
}
