namespace EgressTls.Kubernetes;

/// <summary>The namespace trust bundle: <c>ca.crt</c> (interception CA certificates only), <c>ca-bundle.crt</c>
/// (public roots plus the CA) and <c>truststore.p12</c> (PKCS12, password <c>changeit</c>).</summary>
public sealed record TrustBundleMaterial(string CaPem, string BundlePem, byte[] TrustStoreP12);
