namespace EgressTls.Pki;

/// <summary>Why a new CA is wanted other than the active one nearing expiry.</summary>
/// <param name="Kind">Operator request or a changed imported CA.</param>
/// <param name="Fingerprint">For <see cref="CaRotationDemandKind.Imported"/>: the fingerprint of the CA the import Secret holds now.</param>
public sealed record CaRotationDemand(CaRotationDemandKind Kind, string? Fingerprint = null)
{
    /// <summary>The operator asked for a new CA (generate mode).</summary>
    public static CaRotationDemand Requested { get; } = new(CaRotationDemandKind.Requested);

    /// <summary>The import Secret holds the CA <paramref name="fingerprint"/> (import mode: introduced when it is neither active nor next).</summary>
    public static CaRotationDemand Imported(string fingerprint) => new(CaRotationDemandKind.Imported, fingerprint);
}
