using EgressTls.Core.Annotations;
using EgressTls.Core.Model;

namespace EgressTls.Core.Flux;

/// <summary>
/// A Provider's <c>spec.address</c> split into the parts egress-tls rewrites and the parts it keeps
/// exactly: <c>scheme://[userinfo@]host[:port]rest</c>, where rest is the path, query and fragment as
/// written.
/// </summary>
/// <param name="Text">The address as written.</param>
/// <param name="Scheme"><c>http</c> or <c>https</c> (lower case).</param>
/// <param name="UserInfo"><c>user[:password]@</c> as written, or empty.</param>
/// <param name="HostText">The host as written (IPv6 in brackets).</param>
/// <param name="Destination">The normalised host and the port (443 for https, 80 for http when absent).</param>
/// <param name="Rest">Everything after the authority (path, query, fragment), exactly as written.</param>
public sealed record ProviderAddress(string Text, string Scheme, string UserInfo, string HostText, HostPort Destination, string Rest)
{
    /// <summary>The form quoted in errors about an address.</summary>
    public const string Form = "an https:// URL (https://host[:port][/path][?query]; host a DNS name, an IPv4 address or an [IPv6] address)";

    /// <summary>True for <c>https</c>.</summary>
    public bool IsHttps => Scheme == "https";

    /// <summary>
    /// The address the controller is given instead: <c>http://</c>, the same user info, host, path and query,
    /// and always an explicit port, because the port is the destination Cilium redirects (the lab's
    /// <c>http://172.18.0.4:8083</c>): <c>https://h/x</c> becomes <c>http://h:443/x</c>.
    /// </summary>
    public string PlainHttp => $"http://{UserInfo}{HostText}:{Destination.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}{Rest}";

    /// <summary>
    /// Parses <paramref name="text"/>; returns <c>null</c> and the problem in words when it is not an
    /// <c>http://</c> or <c>https://</c> URL with a host egress-tls can redirect (a DNS name or an IP literal).
    /// </summary>
    public static ProviderAddress? Parse(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = null;
        if (text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            problem = "contains whitespace or control characters";
            return null;
        }

        var separator = text.IndexOf("://", StringComparison.Ordinal);
        var scheme = separator > 0 ? text[..separator].ToLowerInvariant() : string.Empty;
        if (scheme is not ("http" or "https"))
        {
            problem = "is not an http:// or https:// URL";
            return null;
        }

        var afterScheme = text[(separator + 3)..];
        var end = afterScheme.IndexOfAny(['/', '?', '#']);
        var authority = end < 0 ? afterScheme : afterScheme[..end];
        var rest = end < 0 ? string.Empty : afterScheme[end..];
        var at = authority.LastIndexOf('@');
        var userInfo = at < 0 ? string.Empty : authority[..(at + 1)];
        var hostPort = authority[(at + 1)..];

        if (hostPort.Length == 0 || !HostSyntax.TrySplitHostPort(hostPort, out var host, out var portText, out var bracketed))
        {
            problem = $"has no host[:port] egress-tls can read ({ValueQuote.Quote(hostPort)}; IPv6 in brackets)";
            return null;
        }

        var port = scheme == "https" ? 443 : 80;
        if (portText is not null && !HostSyntax.TryParsePort(portText, out port))
        {
            problem = $"has an invalid port {ValueQuote.Quote(portText)} (1-65535)";
            return null;
        }

        string normalized;
        if (bracketed)
        {
            if (HostSyntax.CheckIPv6Destination(host, out normalized) is { } ipv6Problem)
            {
                problem = $"has {ValueQuote.Quote("[" + host + "]")}, {ipv6Problem}";
                return null;
            }
        }
        else if (!HostSyntax.IsIPv4(host, out normalized) && HostSyntax.CheckDnsName(host, out normalized) is { } dnsProblem)
        {
            problem = $"has the host {ValueQuote.Quote(host)}, which {dnsProblem}";
            return null;
        }

        var hostText = bracketed ? hostPort[..(hostPort.IndexOf(']', StringComparison.Ordinal) + 1)] : host;
        return new ProviderAddress(text, scheme, userInfo, hostText, new HostPort(normalized, port), rest);
    }
}
