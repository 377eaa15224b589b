using System.Collections.Immutable;

namespace EgressTls.Core.Model;

/// <summary>
/// One HTTP allow rule for intercepted traffic, with the fields and semantics of Cilium's
/// <c>PortRuleHTTP</c>: <c>method</c>, <c>path</c> and <c>host</c> are extended POSIX regular
/// expressions; each entry of <c>headers</c> must be present (<c>"Name"</c> or <c>"Name: value"</c>).
/// Absent fields match everything.
/// </summary>
public sealed record HttpRule(string? Method, string? Path, string? Host, ImmutableArray<string> Headers)
{
    /// <summary>The rule that matches every request (Cilium's <c>{}</c>): full visibility, no filtering.</summary>
    public static HttpRule AllowAll { get; } = new(null, null, null, ImmutableArray<string>.Empty);
}
