namespace EgressTls.Kubernetes;

/// <summary>Makes a new interception CA (the PKI does; the store only persists it).</summary>
public interface ICaGenerator
{
    /// <summary>A new self-signed CA.</summary>
    CaKeyPair Generate();
}
