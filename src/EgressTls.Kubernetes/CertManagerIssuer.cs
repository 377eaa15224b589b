namespace EgressTls.Kubernetes;

/// <summary>The cert-manager issuer leaf Certificates are requested from.</summary>
/// <param name="Kind"><c>Issuer</c> or <c>ClusterIssuer</c>.</param>
/// <param name="Name">Issuer name.</param>
public sealed record CertManagerIssuer(string Kind, string Name);
