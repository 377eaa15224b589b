using System.Collections.Immutable;

namespace EgressTls.Kubernetes;

/// <summary>
/// What the applier needs from the PKI, kept narrow so the shell does not depend on how certificates are
/// made: leaves from the current CA (cached by names and CA, so the admission path never generates keys for
/// a name set already served), the public roots, and the namespace trust bundle.
/// </summary>
public interface ICertificateMaterial
{
    /// <summary>Changes whenever the CA set or the public roots change (goes into content hashes, so a new CA
    /// re-applies every leaf and bundle).</summary>
    string Fingerprint { get; }

    /// <summary>The leaf for these names: <c>tls.crt</c> (leaf plus intermediates) and <c>tls.key</c> PEM.</summary>
    LeafMaterial GetLeaf(ImmutableArray<string> dnsNames, ImmutableArray<string> ipAddresses);

    /// <summary>The public roots PEM bundle (what <c>originatingTLS</c> verifies real servers with by default).</summary>
    string PublicRootsPem { get; }

    /// <summary>The trust bundle ConfigMap content.</summary>
    TrustBundleMaterial GetTrustBundle();
}
