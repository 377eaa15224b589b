namespace EgressTls.Pki;

/// <summary>Kinds of <see cref="CaRotationDemand"/>.</summary>
public enum CaRotationDemandKind
{
    /// <summary>The operator asked for a new CA.</summary>
    Requested,

    /// <summary>The import Secret names the CA to use.</summary>
    Imported,
}
