namespace EgressTls.Pki;

/// <summary>
/// How to generate a self-signed interception root CA.
/// </summary>
/// <param name="Algorithm">Key algorithm of the CA (default ECDSA P-256).</param>
/// <param name="Duration">Validity of the CA certificate (default 87600h = 10 years, as the chart's <c>ca.duration</c>).</param>
/// <param name="CommonName">
/// Subject CN. When null, <c>egress-tls interception CA</c> plus the UTC issuance time, so that
/// successive CAs during a rotation have distinct subjects (the JDK and OpenSSL look issuers up by subject first).
/// </param>
/// <param name="Organization">Subject O; default <c>egress-tls</c>.</param>
public sealed record CaOptions(
    KeyAlgorithm Algorithm = KeyAlgorithm.EcdsaP256,
    TimeSpan? Duration = null,
    string? CommonName = null,
    string Organization = "egress-tls")
{
    /// <summary>Default CA lifetime: 87600h (ten years).</summary>
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromHours(87600);

    /// <summary><see cref="Duration"/> or <see cref="DefaultDuration"/>.</summary>
    public TimeSpan EffectiveDuration => Duration ?? DefaultDuration;
}
