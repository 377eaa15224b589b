namespace EgressTls.Kubernetes.ServingCertificate;

/// <summary>What Kestrel serves and what the webhook configuration must trust, after one sync.</summary>
/// <param name="Certificate">The serving certificate and key.</param>
/// <param name="CaBundlePem">The caBundle (current CA, plus next or previous during a CA rotation).</param>
/// <param name="CaBundleCurrent">True when every webhook of the configuration holds <paramref name="CaBundlePem"/>.</param>
public sealed record ServingMaterial(ServingKeyPair Certificate, string CaBundlePem, bool CaBundleCurrent);
