using EgressTls.Core.Model;

namespace EgressTls.Core.Annotations;

/// <summary>
/// The options of one <c>egress-tls.io/mtls</c> entry (<c>cert= [ca=] [sni=] [verify=false]</c>), without
/// the destination: a pod entry names it first, a Flux Provider takes it from <c>spec.address</c>.
/// </summary>
/// <param name="ClientCertSecret">The <c>cert=</c> Secret (client certificate, <c>kubernetes.io/tls</c>).</param>
/// <param name="ServerCaSecret">The <c>ca=</c> Secret whose <c>ca.crt</c> verifies the server, or <c>null</c>.</param>
/// <param name="Sni">The <c>sni=</c> name (normalised), or <c>null</c> for the default.</param>
/// <param name="VerifyServer">False only with <c>verify=false</c>.</param>
public sealed record MtlsOptions(string ClientCertSecret, string? ServerCaSecret, string? Sni, bool VerifyServer)
{
    /// <summary>
    /// The destination these options apply to. The SNI defaults to the host for DNS destinations and is
    /// absent for IPs (an IP is not a valid SNI, RFC 6066 section 3).
    /// </summary>
    public MtlsDestination For(HostPort destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return new MtlsDestination(destination, ClientCertSecret, ServerCaSecret, Sni ?? (destination.IsIpAddress ? null : destination.Host), VerifyServer);
    }
}
