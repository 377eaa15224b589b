namespace EgressTls.Kubernetes;

/// <summary>Who issues the interception leaf certificates.</summary>
public enum LeafSource
{
    /// <summary>egress-tls's own CA (generated or imported).</summary>
    Pki,

    /// <summary>cert-manager, through <c>Certificate</c> objects against a configured issuer.</summary>
    CertManager,
}
