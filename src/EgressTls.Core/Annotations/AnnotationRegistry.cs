using System.Collections.Immutable;

namespace EgressTls.Core.Annotations;

/// <summary>Every annotation key egress-tls reads or writes, declared once (key, form, default, doc, scope).</summary>
public static class AnnotationRegistry
{
    private const AnnotationScope UserScopes = AnnotationScope.Namespace | AnnotationScope.Pod;

    /// <summary><c>intercept</c>: hosts whose egress TLS Envoy terminates and re-originates.</summary>
    public static AnnotationKey Intercept { get; } = new(
        "intercept",
        "a comma-separated list of host[:port], host a DNS name (e.g. api.github.com) or *. followed by a DNS name of at least two labels (e.g. *.github.com), port 1-65535 (default 443)",
        "none (plus the hosts of the installation's intercept groups that select the namespace)",
        "Hosts whose egress TLS is intercepted: Envoy presents a leaf certificate from the interception CA, applies the HTTP rules, and re-originates TLS to the real server.",
        UserScopes);

    /// <summary><c>intercept-http-rules</c>: Cilium PortRuleHTTP allow-list.</summary>
    public static AnnotationKey InterceptHttpRules { get; } = new(
        "intercept-http-rules",
        "a JSON or YAML flow list of objects with only the fields method, path, host (regular expressions) and headers (a list of strings), e.g. [{\"method\":\"GET\",\"path\":\"/repos/.*\"}]",
        "absent: every request is allowed and visible",
        "Allow-list of HTTP requests on intercepted connections, with the fields of Cilium's HTTP rules.",
        UserScopes);

    /// <summary><c>upstream-ca</c>: Secret that verifies intercepted upstream servers.</summary>
    public static AnnotationKey UpstreamCa { get; } = new(
        "upstream-ca",
        "the name of a Secret in the pod's namespace (a DNS-1123 subdomain) with the key ca.crt",
        "the public roots",
        "Secret whose ca.crt verifies the real servers of intercepted connections instead of the public roots.",
        UserScopes);

    /// <summary><c>mtls</c>: client-certificate injection.</summary>
    public static AnnotationKey Mtls { get; } = new(
        "mtls",
        "entries separated by ';' or newlines, each '<host>:<port> cert=<secret> [ca=<secret>] [sni=<name>] [verify=false]', host an IPv4 address, [IPv6 address] or DNS name",
        "none",
        "Destinations the application reaches in plain HTTP; Envoy originates TLS to them with the client certificate from the cert= Secret (kubernetes.io/tls) and verifies the server with the ca= Secret's ca.crt (public roots when absent) unless verify=false. On a Flux Provider: the options only (see MtlsProviderForm).",
        UserScopes | AnnotationScope.Provider);

    /// <summary>
    /// The form of <see cref="Mtls"/> on a Flux notification-controller Provider: one entry's options without
    /// a destination, which is the Provider's <c>spec.address</c>.
    /// </summary>
    public static string MtlsProviderForm { get; } =
        "'cert=<secret> [ca=<secret>] [sni=<name>] [verify=false]' (the options of one mtls entry; the destination is the Provider's spec.address)";

    /// <summary><c>inject-ca</c>: mount the trust bundle.</summary>
    public static AnnotationKey InjectCa { get; } = new(
        "inject-ca",
        "true or false",
        "true when intercept is set, else false",
        "Mount the namespace trust bundle into every container and init container and set the environment variables TLS runtimes read.",
        UserScopes);

    /// <summary><c>ca-system-paths</c>: also shadow the system bundle directories.</summary>
    public static AnnotationKey CaSystemPaths { get; } = new(
        "ca-system-paths",
        "true or false",
        "false",
        "Also mount the combined bundle over /etc/ssl/certs and /etc/pki/ca-trust/extracted/pem, for clients that read only the system paths.",
        UserScopes);

    /// <summary><c>other-egress</c>: what happens to traffic egress-tls does not redirect.</summary>
    public static AnnotationKey OtherEgress { get; } = new(
        "other-egress",
        "allow or deny",
        "allow",
        "allow keeps the pod's other egress as it was; deny lets the generated policy allow only DNS and the redirected destinations.",
        UserScopes);

    /// <summary><c>status</c>: written by egress-tls on mutated pods.</summary>
    public static AnnotationKey Status { get; } = new(
        "status",
        "written by egress-tls",
        "-",
        "What egress-tls injected and a hash of it (JSON).",
        AnnotationScope.None);

    /// <summary><c>original-address</c>: written by egress-tls on Flux Providers.</summary>
    public static AnnotationKey OriginalAddress { get; } = new(
        "original-address",
        "written by egress-tls",
        "-",
        "The Provider's https:// address before egress-tls rewrote spec.address to http:// (Envoy originates the TLS); restored when egress-tls.io/mtls is removed.",
        AnnotationScope.None);

    /// <summary>All keys, in documentation order.</summary>
    public static ImmutableArray<AnnotationKey> All { get; } =
        [Intercept, InterceptHttpRules, UpstreamCa, Mtls, InjectCa, CaSystemPaths, OtherEgress, Status, OriginalAddress];

    /// <summary>The key with this full name (<c>egress-tls.io/...</c>), or <c>null</c>.</summary>
    public static AnnotationKey? Find(string fullName) => All.FirstOrDefault(k => k.FullName == fullName);
}
