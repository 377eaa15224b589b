using System.Collections.Immutable;

namespace EgressTls.Core.Model;

/// <summary>
/// What a pod asked to have intercepted: Envoy terminates the pod's TLS with a leaf issued by the
/// interception CA, applies <see cref="HttpRules"/>, and re-originates TLS to the real server.
/// </summary>
/// <param name="Hosts">Sorted, de-duplicated destinations (DNS names or <c>*.</c> wildcards; port 443 by default).</param>
/// <param name="HttpRules">The allow-list; <c>null</c> means allow all with visibility (<c>rules.http: [{}]</c>).</param>
/// <param name="UpstreamCaSecret">Secret in the pod's namespace (key <c>ca.crt</c>) that verifies the real
/// servers instead of the public roots; <c>null</c> means the public roots.</param>
public sealed record InterceptSpec(
    ImmutableArray<HostPort> Hosts,
    ImmutableArray<HttpRule>? HttpRules,
    string? UpstreamCaSecret);
