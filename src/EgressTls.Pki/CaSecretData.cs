namespace EgressTls.Pki;

/// <summary>
/// The PEM texts of a CA as stored in its Secret (type kubernetes.io/tls). Feeding them back to
/// <see cref="CertificateAuthority.Import"/> yields the same CA.
/// </summary>
/// <param name="TlsCrt">The CA certificate followed by its issuers up to and including the root.</param>
/// <param name="TlsKey">The CA private key, unencrypted PKCS#8.</param>
public sealed record CaSecretData(string TlsCrt, string TlsKey);
