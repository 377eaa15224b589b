namespace EgressTls.Core.Model;

/// <summary>
/// One destination that receives a client certificate from Envoy (the <c>001</c> lab pattern): the
/// application speaks plain HTTP to <see cref="Destination"/>; Cilium redirects it to an Envoy
/// listener whose cluster originates TLS with the client certificate.
/// </summary>
/// <param name="Destination">IP literal or DNS name with the port the application connects to.</param>
/// <param name="ClientCertSecret">A <c>kubernetes.io/tls</c> Secret in the workload's namespace.</param>
/// <param name="ServerCaSecret">Optional Secret in the workload's namespace whose <c>ca.crt</c> verifies the
/// server; when absent and <see cref="VerifyServer"/> is true the public roots are used.</param>
/// <param name="Sni">SNI sent upstream; defaults to the host for DNS destinations and is omitted for IPs.</param>
/// <param name="VerifyServer">False only when the user explicitly opted out of server verification.</param>
public sealed record MtlsDestination(
    HostPort Destination,
    string ClientCertSecret,
    string? ServerCaSecret,
    string? Sni,
    bool VerifyServer);
