namespace EgressTls.Kubernetes;

/// <summary>Where the interception CA comes from (config <c>ca.source</c>).</summary>
public enum CaSource
{
    /// <summary>Generated on first start and stored in the webhook namespace.</summary>
    Generate,

    /// <summary>Imported from a user Secret in the webhook namespace.</summary>
    Import,

    /// <summary>No CA held by egress-tls: cert-manager issues the leaves.</summary>
    CertManager,
}
