namespace EgressTls.Kubernetes;

/// <summary>The CA could not be loaded or created; the message is safe to log (no key material).</summary>
public sealed class CaStoreException(string message, Exception? inner = null) : Exception(message, inner);
