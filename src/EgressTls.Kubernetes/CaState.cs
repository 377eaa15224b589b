using EgressTls.Pki;

namespace EgressTls.Kubernetes;

/// <summary>
/// The interception CA as stored in the webhook namespace, with its rotation: the CA that signs (with key),
/// the next CA waiting in the bundles (with key), the retiring CAs' trust anchors (certificates only: they
/// sign nothing any more), and the rotation timeline (<see cref="CaRotation"/>).
/// </summary>
/// <param name="Active">The CA that signs leaves now.</param>
/// <param name="Next">The CA published in the bundles and waiting to sign, if any.</param>
/// <param name="Rotation">The timeline; its Active and Next are <paramref name="Active"/> and <paramref name="Next"/>.</param>
/// <param name="HandledRequest">The last value of the <c>egress-tls.io/rotate</c> annotation acted on.</param>
/// <param name="ResourceVersion">The Secret's resourceVersion this was read at (updates are conditional on it).</param>
public sealed record CaState(CertificateAuthority Active, CertificateAuthority? Next, CaRotation Rotation, string? HandledRequest, string? ResourceVersion)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"CaState {{ Active = {Active.Fingerprint}, Next = {Next?.Fingerprint ?? "none"}, Retiring = {Rotation.Retiring.Length} }}";
}
