using System.Collections.Immutable;
using EgressTls.Pki;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes;

/// <summary>
/// The certificate material of a CA that rotates: leaves from the state's active CA, bundles with every anchor
/// the rotation must publish (active, next, retiring). <see cref="Update"/> swaps in a new state atomically;
/// admission and the reconciler read whichever is current. The <see cref="Fingerprint"/> changes with the signer
/// and the anchor set, so the content hashes of leaves and bundles change and the reconciler re-applies them:
/// a new anchor reaches every namespace's bundle, and after promotion every leaf is re-issued by the new CA.
/// </summary>
public sealed class RotatingCertificateMaterial : ICertificateMaterial
{
    private readonly string? publicRootsPem;
    private readonly RenewalPolicy policy;
    private readonly KeyAlgorithm leafAlgorithm;
    private readonly TimeProvider time;
    private readonly SecureRandom random;
    private readonly LeafCache cache;
    private readonly Lock gate = new();
    private PkiCertificateMaterial current;

    /// <summary>Creates the material for <paramref name="state"/>.</summary>
    public RotatingCertificateMaterial(CaState state, string? publicRootsPem, RenewalPolicy policy, KeyAlgorithm leafAlgorithm, TimeProvider time, SecureRandom random)
    {
        ArgumentNullException.ThrowIfNull(state);
        this.publicRootsPem = publicRootsPem;
        this.policy = policy;
        this.leafAlgorithm = leafAlgorithm;
        this.time = time;
        this.random = random;
        cache = new LeafCache(policy, time);
        current = Build(state);
        State = state;
    }

    /// <summary>Raised after <see cref="Update"/> swapped in a different signer or anchor set.</summary>
    public event EventHandler? Changed;

    /// <summary>The state in use.</summary>
    public CaState State { get; private set; }

    /// <summary>The material in use.</summary>
    public PkiCertificateMaterial Current => Volatile.Read(ref current);

    /// <summary>The CA that signs now.</summary>
    public CertificateAuthority Authority => Current.Authority;

    /// <summary>Leaves issued or cached (all CAs).</summary>
    public int CachedLeaves => cache.Count;

    /// <inheritdoc />
    public string Fingerprint => Current.Fingerprint;

    /// <inheritdoc />
    public string PublicRootsPem => Current.PublicRootsPem;

    /// <inheritdoc />
    public LeafMaterial GetLeaf(ImmutableArray<string> dnsNames, ImmutableArray<string> ipAddresses) => Current.GetLeaf(dnsNames, ipAddresses);

    /// <inheritdoc />
    public TrustBundleMaterial GetTrustBundle() => Current.GetTrustBundle();

    /// <summary>Uses <paramref name="state"/> from now on; true (and <see cref="Changed"/> raised) when the signer or
    /// the anchors differ from before.</summary>
    public bool Update(CaState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (gate)
        {
            // Most checks find nothing new: compare the signer and the anchors before building anything (the
            // material hashes the whole public-roots bundle into its fingerprint).
            var same = State.Active.Fingerprint == state.Active.Fingerprint
                       && State.Rotation.BundleAnchors.Select(CertificateFingerprint.Of).SequenceEqual(state.Rotation.BundleAnchors.Select(CertificateFingerprint.Of));
            State = state;
            if (same)
            {
                return false;
            }

            var built = Build(state);

            Volatile.Write(ref current, built);

            // Leaves of CAs that no longer sign will never be served again.
            cache.Evict(k => k.CaFingerprint != state.Active.Fingerprint);
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return true;
    }

    private PkiCertificateMaterial Build(CaState state) =>
        new(state.Active, publicRootsPem, policy, leafAlgorithm, time, random, state.Rotation.BundleAnchors, cache);
}
