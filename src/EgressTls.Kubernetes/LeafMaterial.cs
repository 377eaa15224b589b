namespace EgressTls.Kubernetes;

/// <summary>An issued leaf: the chain (leaf first) and its private key, both PEM.</summary>
public sealed record LeafMaterial(string CertificateChainPem, string PrivateKeyPem)
{
    /// <inheritdoc />
    public override string ToString() => "LeafMaterial { (redacted) }";
}
