using System.Collections.Immutable;
using EgressTls.Core.Model;

namespace EgressTls.Core.Annotations;

/// <summary>Parses <c>egress-tls.io/intercept</c> (and the hosts of installation intercept groups).</summary>
public static class InterceptParser
{
    /// <summary>The port used when an entry has none.</summary>
    public const int DefaultPort = 443;

    /// <summary>
    /// Parses a comma-separated list of <c>host[:port]</c>. Returns the sorted, de-duplicated hosts and
    /// one problem sentence per bad entry (every entry is checked; empty entries from stray commas are
    /// ignored). An empty value means no hosts.
    /// </summary>
    public static (ImmutableArray<HostPort> Hosts, ImmutableArray<string> Problems) Parse(string value)
    {
        var hosts = new SortedSet<HostPort>();
        var problems = ImmutableArray.CreateBuilder<string>();
        foreach (var raw in value.Split(','))
        {
            var entry = raw.Trim();
            if (entry.Length == 0)
            {
                continue;
            }

            var problem = ParseEntry(entry, out var hostPort);
            if (problem is null)
            {
                hosts.Add(hostPort!);
            }
            else
            {
                problems.Add($"{ValueQuote.Quote(entry)} {problem}; expected {AnnotationRegistry.Intercept.Form}");
            }
        }

        return ([.. hosts], problems.ToImmutable());
    }

    private static string? ParseEntry(string entry, out HostPort? hostPort)
    {
        hostPort = null;
        if (!HostSyntax.TrySplitHostPort(entry, out var host, out var portText, out var bracketed))
        {
            return "is not host[:port]";
        }

        if (bracketed || HostSyntax.IsIPv4(host, out _) || HostSyntax.IsIPv6(host, out _))
        {
            // toFQDNs selects by name and the leaf certificate is issued for names: an IP has neither.
            return "is an IP address; interception works on DNS names (use mtls for IP destinations)";
        }

        var port = DefaultPort;
        if (portText is not null && !HostSyntax.TryParsePort(portText, out port))
        {
            return $"has an invalid port {ValueQuote.Quote(portText)} (1-65535)";
        }

        string? problem;
        string normalized;
        if (host.Contains('*', StringComparison.Ordinal))
        {
            problem = HostSyntax.CheckWildcard(host, out normalized);
        }
        else
        {
            problem = HostSyntax.CheckDnsName(host, out normalized);
        }

        if (problem is not null)
        {
            return problem;
        }

        hostPort = new HostPort(normalized, port);
        return null;
    }
}
