namespace EgressTls.Kubernetes;

/// <summary>The CA the store loaded.</summary>
/// <param name="KeyPair">Certificate and key.</param>
/// <param name="Created">True when this call created the Secret (first start of the first replica).</param>
/// <param name="ResourceVersion">The Secret's resourceVersion (a watch on it detects rotation).</param>
public sealed record StoredCa(CaKeyPair KeyPair, bool Created, string? ResourceVersion);
