namespace EgressTls.Kubernetes;

/// <summary>A CA certificate (PEM, possibly followed by its chain) and its private key (PEM).</summary>
/// <param name="CertificatePem">The CA certificate.</param>
/// <param name="PrivateKeyPem">Its private key: never logged, never copied out of the webhook namespace.</param>
/// <param name="ChainPem">For an imported intermediate, the chain up to the root clients trust.</param>
public sealed record CaKeyPair(string CertificatePem, string PrivateKeyPem, string? ChainPem = null)
{
    /// <inheritdoc />
    public override string ToString() => "CaKeyPair { (redacted) }";
}
