using System.Collections.Immutable;

namespace EgressTls.Core.Rendering;

/// <summary>How the shell fills the data of a generated Secret or ConfigMap.</summary>
public abstract record ObjectContent;

/// <summary>
/// A leaf certificate from the interception CA for these names, written as <c>tls.crt</c> (leaf plus
/// intermediates) and <c>tls.key</c>, and deliberately no <c>ca.crt</c> (Cilium #31761: a CA in a
/// terminatingTLS Secret makes Envoy demand client certificates on 1.15).
/// </summary>
public sealed record LeafCertificateContent(ImmutableArray<string> DnsNames, ImmutableArray<string> IpAddresses) : ObjectContent;

/// <summary>Copy of the listed keys of a user's Secret (same type).</summary>
public sealed record CopiedSecretContent(string SourceNamespace, string SourceName, ImmutableArray<string> Keys) : ObjectContent;

/// <summary>
/// A CA-only Secret (key <c>ca.crt</c>, no <c>tls.*</c> keys, so Cilium publishes it as a validation
/// context): the public roots when <see cref="SourceName"/> is <c>null</c>, else the <c>ca.crt</c> of the
/// named user Secret.
/// </summary>
public sealed record CaOnlyContent(string? SourceNamespace, string? SourceName) : ObjectContent;

/// <summary>The namespace trust bundle ConfigMap: the interception CA(s) alone, the combined bundle
/// (public roots plus the CA) and a PKCS12 truststore.</summary>
public sealed record TrustBundleContent : ObjectContent;
