using System.Collections.Immutable;
using Org.BouncyCastle.X509;

namespace EgressTls.Pki;

/// <summary>
/// Pure model of CA rotation without outages. Invariants:
/// a new CA enters every trust bundle (<see cref="Introduce"/>) before any leaf is signed by it
/// (<see cref="Promote"/> is refused until <c>propagation</c> has passed since it was published), and
/// an old CA stays in every bundle (<see cref="Retiring"/>) until the last leaf it signed expires
/// (<see cref="Prune"/>). Timeline:
/// <code>
/// t0 Start(A)            bundles {A}      signer A
/// t1 Introduce(B)        bundles {A,B}    signer A   (B waits for ConfigMaps to reach every pod)
/// t2 Promote (t2-t1 >= propagation)
///                        bundles {B,A}    signer B   (A retiring; leaves re-issued from B as the cache key changes)
/// t3 Prune (t3 >= last notAfter of A's leaves)
///                        bundles {B}      signer B
/// </code>
/// Every transition returns a new state; none reads a clock except through the given TimeProvider.
/// </summary>
/// <param name="Active">The CA that signs new leaves.</param>
/// <param name="Next">A published CA waiting to become active, if any.</param>
/// <param name="Retiring">Former active CAs still trusted because leaves they signed may be in use, newest first.</param>
public sealed record CaRotation(RotationEntry Active, RotationEntry? Next, ImmutableArray<RotationEntry> Retiring)
{
    /// <summary>The state with <paramref name="ca"/> as the only CA, published now.</summary>
    public static CaRotation Start(CertificateAuthority ca, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return new CaRotation(RotationEntry.For(ca, time.GetUtcNow()), null, []);
    }

    /// <summary>Fingerprint of the CA that must sign every new leaf.</summary>
    public string SigningFingerprint => Active.CaFingerprint;

    /// <summary>
    /// The trust anchors every bundle must carry now: active, next, then retiring, deduplicated
    /// (intermediates under one root share an anchor). Pass these to <see cref="TrustBundleBuilder.Build"/>.
    /// </summary>
    public ImmutableArray<X509Certificate> BundleAnchors
    {
        get
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var all = new[] { Active }.Concat(Next is null ? [] : [Next]).Concat(Retiring);
            return [.. all.Select(e => e.TrustAnchor).Where(a => seen.Add(CertificateFacts.Fingerprint(a)))];
        }
    }

    /// <summary>Publishes <paramref name="next"/> in the bundles now. Replaces an earlier, never promoted Next.</summary>
    public CaRotation Introduce(CertificateAuthority next, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(time);
        if (next.Fingerprint == Active.CaFingerprint)
        {
            return this;
        }

        return this with { Next = RotationEntry.For(next, time.GetUtcNow()) };
    }

    /// <summary>True when a Next CA exists and has been in the bundles for at least <paramref name="propagation"/> (ConfigMap volume sync plus margin).</summary>
    public bool CanPromote(TimeProvider time, TimeSpan propagation)
    {
        ArgumentNullException.ThrowIfNull(time);
        return Next is not null && time.GetUtcNow() - Next.PublishedAt >= propagation;
    }

    /// <summary>
    /// Makes Next the signer and moves the former active CA to <see cref="Retiring"/> (unless it signed
    /// nothing, in which case no leaf can need it). Returns this unchanged when <see cref="CanPromote"/> is false.
    /// </summary>
    public CaRotation Promote(TimeProvider time, TimeSpan propagation)
    {
        if (!CanPromote(time, propagation))
        {
            return this;
        }

        var retiring = Active.LastLeafNotAfter is null ? Retiring : Retiring.Insert(0, Active);
        return new CaRotation(Next!, null, retiring);
    }

    /// <summary>Records that a leaf signed by <paramref name="leaf"/>'s CA exists until its notAfter, extending that CA's stay in the bundles.</summary>
    public CaRotation RecordLeaf(IssuedLeaf leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        return RecordLeaf(leaf.CaFingerprint, leaf.NotAfter);
    }

    /// <summary>Records a leaf signed by the CA <paramref name="caFingerprint"/> and valid until <paramref name="notAfter"/>; unknown CAs are ignored.</summary>
    public CaRotation RecordLeaf(string caFingerprint, DateTimeOffset notAfter)
    {
        static RotationEntry Extend(RotationEntry e, DateTimeOffset notAfter) =>
            e.LastLeafNotAfter is { } last && last >= notAfter ? e : e with { LastLeafNotAfter = notAfter };

        if (Active.CaFingerprint == caFingerprint)
        {
            return this with { Active = Extend(Active, notAfter) };
        }

        if (Next?.CaFingerprint == caFingerprint)
        {
            return this with { Next = Extend(Next, notAfter) };
        }

        var i = Enumerable.Range(0, Retiring.Length).FirstOrDefault(j => Retiring[j].CaFingerprint == caFingerprint, -1);
        return i < 0 ? this : this with { Retiring = Retiring.SetItem(i, Extend(Retiring[i], notAfter)) };
    }

    /// <summary>Drops retiring CAs whose last leaf has expired at the given time (never the active or next CA).</summary>
    public CaRotation Prune(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow();
        var keep = Retiring.Where(r => r.LastLeafNotAfter is { } last && last > now).ToImmutableArray();
        return keep.Length == Retiring.Length ? this : this with { Retiring = keep };
    }
}
