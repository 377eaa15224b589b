using System.Collections.Immutable;
using EgressTls.Core;
using EgressTls.Pki;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes;

/// <summary>
/// <see cref="ICertificateMaterial"/> over the PKI: leaves from the current CA through the PKI's
/// <see cref="LeafCache"/> (one issuance per name set and CA, renewed by its policy), the public roots, and
/// trust bundles built from the CA's trust anchor(s) plus the roots.
/// </summary>
public sealed class PkiCertificateMaterial : ICertificateMaterial
{
    private readonly CertificateAuthority ca;
    private readonly ImmutableArray<Org.BouncyCastle.X509.X509Certificate> anchors;
    private readonly LeafCache cache;
    private readonly KeyAlgorithm leafAlgorithm;
    private readonly RenewalPolicy policy;
    private readonly TimeProvider time;
    private readonly SecureRandom random;
    private readonly Lazy<TrustBundleMaterial> bundle;

    /// <summary>Creates the material for <paramref name="ca"/>; <paramref name="bundleAnchors"/> (default: the
    /// CA's trust anchor) lets CA rotation publish old and new anchors together; <paramref name="cache"/> lets
    /// successive materials of one rotation share issued leaves (the key includes the CA, so sharing is safe).</summary>
    public PkiCertificateMaterial(CertificateAuthority ca, string? publicRootsPem, RenewalPolicy policy, KeyAlgorithm leafAlgorithm,
        TimeProvider time, SecureRandom random, IEnumerable<Org.BouncyCastle.X509.X509Certificate>? bundleAnchors = null, LeafCache? cache = null)
    {
        this.ca = ca;
        this.policy = policy;
        this.leafAlgorithm = leafAlgorithm;
        this.time = time;
        this.random = random;
        anchors = bundleAnchors?.ToImmutableArray() ?? [ca.TrustAnchor];
        this.cache = cache ?? new LeafCache(policy, time);
        PublicRootsPem = TrustBundleBuilder.PublicRootsPem(publicRootsPem);
        bundle = new Lazy<TrustBundleMaterial>(() =>
        {
            var b = TrustBundleBuilder.Build(anchors, PublicRootsPem, random);
            return new TrustBundleMaterial(b.CaCrt, b.CaBundleCrt, [.. b.TruststoreP12]);
        });
        Fingerprint = Naming.ShortHash(string.Join("|", anchors.Select(a => Convert.ToHexStringLower(a.GetEncoded())).Prepend(ca.Fingerprint).Append(PublicRootsPem)), 16);
    }

    /// <summary>Builds the material from a stored CA (as the CA store loaded it); throws <see cref="CaStoreException"/>
    /// listing every problem when the PEM is not a usable CA.</summary>
    public static PkiCertificateMaterial FromStored(StoredCa stored, string? publicRootsPem, RenewalPolicy policy, KeyAlgorithm leafAlgorithm,
        TimeProvider time, SecureRandom random)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var import = CertificateAuthority.Import(stored.KeyPair.CertificatePem, stored.KeyPair.PrivateKeyPem, stored.KeyPair.ChainPem, time);
        return import.Succeeded
            ? new PkiCertificateMaterial(import.Authority!, publicRootsPem, policy, leafAlgorithm, time, random)
            : throw new CaStoreException("the stored CA cannot be used: " + string.Join("; ", import.Errors));
    }

    /// <inheritdoc />
    public string Fingerprint { get; }

    /// <inheritdoc />
    public string PublicRootsPem { get; }

    /// <summary>The CA in use.</summary>
    public CertificateAuthority Authority => ca;

    /// <summary>Leaves issued or cached.</summary>
    public int CachedLeaves => cache.Count;

    /// <summary>The trust anchors the bundles carry.</summary>
    public ImmutableArray<Org.BouncyCastle.X509.X509Certificate> Anchors => anchors;

    /// <inheritdoc />
    public LeafMaterial GetLeaf(ImmutableArray<string> dnsNames, ImmutableArray<string> ipAddresses)
    {
        var names = dnsNames.AddRange(ipAddresses);
        var leaf = cache.GetOrIssue(LeafCacheKey.For(names, ca),
            key => LeafIssuer.Issue(ca, new LeafRequest(key.Names, leafAlgorithm, policy.Duration), time, random));
        return new LeafMaterial(leaf.TlsCrt, leaf.TlsKey);
    }

    /// <inheritdoc />
    public TrustBundleMaterial GetTrustBundle() => bundle.Value;
}
