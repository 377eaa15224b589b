using System.Collections.Immutable;
using System.Globalization;

namespace EgressTls.Pki;

/// <summary>
/// Decides, from the stored <see cref="CaRotation"/> and the clock, which rotation transitions are due, in
/// the order that keeps every invariant of <see cref="CaRotation"/>: retire what can no longer be needed,
/// withdraw a waiting CA the import Secret no longer holds, promote a next CA that has been published long
/// enough, then introduce a new CA when the active one nears its end (or the operator asked, or an imported
/// CA changed). Pure: the new CA, when one is due, comes from
/// a function the shell passes (it generates or imports the CA), and time only from the TimeProvider.
/// </summary>
public static class CaRotationPlanner
{
    /// <summary>Takes every transition due now.</summary>
    /// <param name="state">The stored state.</param>
    /// <param name="active">The active CA (its notAfter decides renewal).</param>
    /// <param name="policy">Timing.</param>
    /// <param name="time">The clock.</param>
    /// <param name="demand">Why a new CA is wanted besides expiry (operator request, changed import), or null.</param>
    /// <param name="newCa">Makes the CA to introduce; called at most once, only when one is due.</param>
    public static CaRotationStep Advance(CaRotation state, CertificateAuthority active, CaRotationPolicy policy, TimeProvider time,
        CaRotationDemand? demand, Func<CertificateAuthority> newCa)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(active);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(newCa);
        if (active.Fingerprint != state.SigningFingerprint)
        {
            throw new ArgumentException("active must be the CA the state signs with", nameof(active));
        }

        var now = time.GetUtcNow();
        var changes = ImmutableArray.CreateBuilder<string>();

        // 1. Retire: a retiring CA whose last leaf has expired, or whose anchor itself has expired (nothing
        //    chaining to it verifies any more), leaves the bundles.
        var kept = state.Retiring.Where(r => r.LastLeafNotAfter is { } last && last > now && AnchorValid(r, now)).ToImmutableArray();
        foreach (var gone in state.Retiring.Except(kept))
        {
            changes.Add($"retired CA {Short(gone.CaFingerprint)} from the trust bundles (its last leaf expired)");
        }

        state = kept.Length == state.Retiring.Length ? state : state with { Retiring = kept };

        // 2. The active CA has expired (nothing ran for a long time): every leaf it signed already fails, so an
        //    overlap protects nothing. Replace it at once with the waiting CA, or a new or imported one.
        if (now >= active.NotAfter)
        {
            var importedSame = demand is { Kind: CaRotationDemandKind.Imported } d && (d.Fingerprint == state.Active.CaFingerprint);
            if (state.Next is null && importedSame)
            {
                return new CaRotationStep(state, changes.ToImmutable());
            }

            var former = state.Active.CaFingerprint;
            if (state.Next is null || (demand is { Kind: CaRotationDemandKind.Imported } i && i.Fingerprint != state.Next.CaFingerprint))
            {
                state = state.Introduce(newCa(), time);
            }

            state = state.RecordLeaf(former, now + policy.LeafRetention).Promote(time, TimeSpan.Zero);
            changes.Add($"replaced CA {Short(former)}, which expired at {Stamp(active.NotAfter)}, with CA {Short(state.Active.CaFingerprint)} at once: pods trust the new CA only after their trust bundle updates and they restart");
            return new CaRotationStep(state, changes.ToImmutable());
        }

        // 3. Withdraw: the import Secret holds the active CA again while another one waits (the operator reverted a
        //    replacement). The waiting CA signed nothing, so it leaves the bundles at once instead of being promoted.
        if (demand is { Kind: CaRotationDemandKind.Imported } w && w.Fingerprint == state.Active.CaFingerprint && state.Next is { } waiting)
        {
            state = state with { Next = null };
            changes.Add($"withdrew CA {Short(waiting.CaFingerprint)} from the trust bundles before it signed anything: the imported CA Secret holds the active CA {Short(state.Active.CaFingerprint)} again");
            return new CaRotationStep(state, changes.ToImmutable());
        }

        // 4. Promote: the next CA has been in every bundle for the propagation time. The CA it replaces may
        //    have signed leaves up to this moment, each valid for the leaf lifetime: it stays that long.
        if (state.CanPromote(time, policy.Propagation))
        {
            var former = state.Active.CaFingerprint;
            state = state.RecordLeaf(former, now + policy.LeafRetention).Promote(time, policy.Propagation);
            changes.Add($"CA {Short(state.Active.CaFingerprint)} now signs leaves; CA {Short(former)} stays trusted until {Stamp(now + policy.LeafRetention)}");
            return new CaRotationStep(state, changes.ToImmutable());
        }

        // 5. Introduce: a new CA is wanted and none is waiting (a changed import replaces a waiting one).
        var reason = demand switch
        {
            { Kind: CaRotationDemandKind.Imported, Fingerprint: var fp } when fp != state.Active.CaFingerprint && fp != state.Next?.CaFingerprint =>
                "the imported CA Secret holds a new CA",
            { Kind: CaRotationDemandKind.Requested } when state.Next is null => "rotation was requested",
            _ when state.Next is null && demand?.Kind != CaRotationDemandKind.Imported && now >= policy.RenewalTime(active) =>
                $"the active CA expires at {Stamp(active.NotAfter)} (renewBefore {policy.RenewBefore.TotalHours.ToString(CultureInfo.InvariantCulture)}h)",
            _ => null,
        };
        if (reason is not null)
        {
            var next = newCa();
            state = state.Introduce(next, time);
            changes.Add($"introduced CA {Short(next.Fingerprint)} into the trust bundles because {reason}; it signs from {Stamp(now + policy.Propagation)}");
        }

        return new CaRotationStep(state, changes.ToImmutable());
    }

    private static bool AnchorValid(RotationEntry entry, DateTimeOffset now) => entry.TrustAnchor.NotAfter.ToUniversalTime() > now.UtcDateTime;

    private static string Short(string fingerprint) => fingerprint.Length > 16 ? fingerprint[..16] : fingerprint;

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
