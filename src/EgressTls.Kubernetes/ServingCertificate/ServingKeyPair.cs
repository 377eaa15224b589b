namespace EgressTls.Kubernetes.ServingCertificate;

/// <summary>A certificate and its private key, PEM.</summary>
/// <param name="CertificatePem">The certificate.</param>
/// <param name="PrivateKeyPem">Its key: never logged.</param>
public sealed record ServingKeyPair(string CertificatePem, string PrivateKeyPem)
{
    /// <inheritdoc />
    public override string ToString() => "ServingKeyPair { (redacted) }";
}
