namespace EgressTls.Kubernetes;

/// <summary>Settings of <see cref="CaSecretStore"/>.</summary>
public sealed record CaStoreOptions
{
    /// <summary>The webhook namespace: the only namespace the CA private key is read from or written to.</summary>
    public string Namespace { get; init; } = "egress-tls";

    /// <summary>The generated CA's Secret.</summary>
    public string SecretName { get; init; } = "egress-tls-ca";

    /// <summary>Where the CA comes from.</summary>
    public CaSource Source { get; init; } = CaSource.Generate;

    /// <summary>For <see cref="CaSource.Import"/>: the user Secret (in <see cref="Namespace"/>) with
    /// <c>tls.crt</c>, <c>tls.key</c> and optionally <c>ca.crt</c> (the chain up to the root clients trust).</summary>
    public string ImportSecretName { get; init; } = "";
}
