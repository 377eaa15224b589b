using System.Collections.Immutable;
using EgressTls.Core;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>
/// Which managed objects to delete, pure. An object is deleted only when all of these hold: it carries
/// <c>app.kubernetes.io/managed-by=egress-tls</c> and the applier's content-hash annotation (so the CA Secret,
/// the serving certificate and anything else egress-tls created by other means are never touched); its name is
/// not protected; nothing desires it; no retained scope covers it; and it is older than the grace period (an
/// admission may have just created it for a pod the informers do not show yet). Shared Secrets (leaves,
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
        TimeSpan gracePeriod,
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
        LiveState o, IReadOnlySet<string> desiredKeys, IReadOnlyCollection<RetainedScope> retained, DateTimeOffset now, TimeSpan gracePeriod, IReadOnlySet<string> protectedKeys)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (ObjectKeys.Label(o.Manifest, Naming.ManagedByLabel) != Naming.ManagedByValue
            || o.ContentHashValue is null
            || o.Rank > 2
            || protectedKeys.Contains(o.Key)
            || desiredKeys.Contains(o.Key))
        {
            return false;
        }

        // Unknown age counts as young: never delete what might have just been created.
        if (o.Created is not { } created || now - created < gracePeriod)
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
