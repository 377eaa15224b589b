using System.Collections.Immutable;
using EgressTls.Core;
using EgressTls.Pki;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes;

/// <summary>
/// <see cref="ICertificateMaterial"/> for <c>ca.source: cert-manager</c>: egress-tls holds no CA, leaves come
/// from cert-manager (<see cref="CertManagerCertificates"/>), and trust bundles carry the issuer's CA, the trust
/// anchor. It is known from <c>ca.certManager.caSecretName</c> at start, or learned from the <c>ca.crt</c> that
/// cert-manager writes into the Secrets it issues (the first one read; the same issuer signs them all).
/// A bundle asked for before the anchor is known waits for it (<see cref="WaitForAnchorAsync"/>): in the same
/// admission the leaf's issued Secret usually provides it.
/// </summary>
public sealed class CertManagerTrustMaterial : ICertificateMaterial
{
    private readonly CertManagerIssuer issuer;
    private readonly SecureRandom random;
    private readonly TaskCompletionSource<string> anchor = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TrustBundleMaterial? bundle;

    /// <summary>Creates the material; <paramref name="anchorPem"/> when already known (configured Secret or ConfigMap).</summary>
    public CertManagerTrustMaterial(CertManagerIssuer issuer, string? publicRootsPem, SecureRandom random, string? anchorPem = null)
    {
        this.issuer = issuer;
        this.random = random;
        PublicRootsPem = TrustBundleBuilder.PublicRootsPem(publicRootsPem);
        if (!string.IsNullOrWhiteSpace(anchorPem))
        {
            Learn(anchorPem);
        }
    }

    /// <summary>The issuer's CA PEM, or null while unknown.</summary>
    public string? AnchorPem => anchor.Task.IsCompletedSuccessfully ? anchor.Task.Result : null;

    /// <inheritdoc />
    /// <remarks>Includes the anchor: objects applied before it was known are re-applied once after.</remarks>
    public string Fingerprint => Naming.ShortHash($"cert-manager|{issuer.Kind}|{issuer.Name}|{AnchorPem}|{PublicRootsPem}", 16);

    /// <inheritdoc />
    public string PublicRootsPem { get; }

    /// <summary>Records the issuer's CA (first one wins: the configured Secret, or the first issued Secret's ca.crt).</summary>
    public void Learn(string caPem)
    {
        ArgumentNullException.ThrowIfNull(caPem);
        if (caPem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            anchor.TrySetResult(caPem);
        }
    }

    /// <summary>Completes when the anchor is known (or the token ends).</summary>
    public Task WaitForAnchorAsync(CancellationToken cancellationToken) => anchor.Task.WaitAsync(cancellationToken);

    /// <inheritdoc />
    /// <exception cref="ApplyException">Always: cert-manager issues the leaves in this mode.</exception>
    public LeafMaterial GetLeaf(ImmutableArray<string> dnsNames, ImmutableArray<string> ipAddresses) =>
        throw new ApplyException("ca.source is cert-manager: leaves are issued by cert-manager, not by egress-tls");

    /// <inheritdoc />
    /// <exception cref="ApplyException">The issuer's CA is not known yet.</exception>
    public TrustBundleMaterial GetTrustBundle()
    {
        var pem = AnchorPem ?? throw new ApplyException(
            $"the CA of cert-manager {issuer.Kind} {issuer.Name} is not known yet (set ca.certManager.caSecretName, or wait for the first issued Secret)");
        if (bundle is { } b)
        {
            return b;
        }

        var anchors = Pem.DecodeCertificates(pem, out _);
        var built = TrustBundleBuilder.Build(anchors, PublicRootsPem, random);
        return bundle = new TrustBundleMaterial(built.CaCrt, built.CaBundleCrt, [.. built.TruststoreP12]);
    }
}
