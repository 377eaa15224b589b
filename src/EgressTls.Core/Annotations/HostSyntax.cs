using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EgressTls.Core.Annotations;

/// <summary>DNS name, wildcard, IP literal and port syntax shared by the annotation parsers.</summary>
public static class HostSyntax
{
    private const string NotAscii = "is not a DNS name (only letters, digits, '-' and '.'; write an internationalised name in its xn-- form)";

    /// <summary>
    /// Normalises a DNS name (lower case, trailing dot stripped) and checks RFC 1123: at most 253
    /// characters, labels of 1-63 letters, digits and hyphens that neither start nor end with a hyphen,
    /// at least one label. Returns the problem in words, or <c>null</c> when valid.
    /// </summary>
    public static string? CheckDnsName(string raw, out string normalized)
    {
        // Checked before lower-casing: Unicode case folding maps some non-ASCII letters to ASCII (the Kelvin sign
        // U+212A to 'k'), which would turn a name that is not a DNS name into another one.
        if (raw.Any(c => !char.IsAscii(c)))
        {
            normalized = raw.Trim();
            return NotAscii;
        }

        normalized = raw.Trim().ToLowerInvariant();
        if (normalized.EndsWith('.'))
        {
            normalized = normalized[..^1];
        }

        if (normalized.Length == 0)
        {
            return "is empty";
        }

        if (normalized.Length > 253)
        {
            return "is longer than 253 characters";
        }

        foreach (var label in normalized.Split('.'))
        {
            if (label.Length == 0)
            {
                return "has an empty label";
            }

            if (label.Length > 63)
            {
                return $"has a label longer than 63 characters";
            }

            if (label.Any(c => c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')))
            {
                return "is not a DNS name (only letters, digits, '-' and '.')";
            }

            if (label.StartsWith('-') || label.EndsWith('-'))
            {
                return "has a label that starts or ends with '-'";
            }
        }

        // An all-numeric last label would make "10.0.0.1" a DNS name; RFC 1123 section 2.1 keeps TLDs alphabetic.
        if (normalized.Split('.')[^1].All(char.IsAsciiDigit))
        {
            return "is not a DNS name (the last label is numeric)";
        }

        return null;
    }

    /// <summary>
    /// Checks a <c>*.</c> wildcard: the rest must be a DNS name of at least two labels, and no other
    /// <c>*</c> may appear (<c>*</c>, <c>*.com</c>, <c>*.*.com</c>, <c>a.*.com</c> are refused): Cilium's
    /// <c>matchPattern</c> and a leaf certificate's wildcard SAN both cover exactly one leading label.
    /// </summary>
    public static string? CheckWildcard(string raw, out string normalized)
    {
        if (raw.Any(c => !char.IsAscii(c)))
        {
            normalized = raw.Trim();
            return NotAscii;
        }

        var lowered = raw.Trim().ToLowerInvariant();
        normalized = lowered;
        if (lowered == "*")
        {
            return "is a bare '*', which would intercept everything";
        }

        if (!lowered.StartsWith("*.", StringComparison.Ordinal))
        {
            return "has a '*' that is not a leading '*.' label";
        }

        var rest = lowered[2..];
        if (rest.Contains('*', StringComparison.Ordinal))
        {
            return "has more than one '*'; only one leading '*.' is supported";
        }

        var problem = CheckDnsName(rest, out var normalizedRest);
        if (problem is not null)
        {
            return problem;
        }

        if (!normalizedRest.Contains('.', StringComparison.Ordinal))
        {
            return "is too broad: '*.' must be followed by at least two labels (e.g. *.example.com)";
        }

        normalized = "*." + normalizedRest;
        return null;
    }

    /// <summary>Parses a port 1-65535 written in decimal digits only.</summary>
    public static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535 && text.Length <= 5;

    /// <summary>
    /// Splits <c>host[:port]</c>, <c>[ipv6]:port</c> or <c>[ipv6]</c>. Returns false when brackets are
    /// unbalanced or a bare IPv6 literal (several colons) is used without brackets.
    /// </summary>
    public static bool TrySplitHostPort(string text, out string host, out string? port, out bool bracketed)
    {
        host = text;
        port = null;
        bracketed = false;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            bracketed = true;
            host = text[1..close];
            var after = text[(close + 1)..];
            if (after.Length == 0)
            {
                return true;
            }

            if (!after.StartsWith(':'))
            {
                return false;
            }

            port = after[1..];
            return true;
        }

        var colons = text.Count(c => c == ':');
        if (colons > 1)
        {
            return false;
        }

        if (colons == 1)
        {
            var i = text.IndexOf(':', StringComparison.Ordinal);
            host = text[..i];
            port = text[(i + 1)..];
        }

        return true;
    }

    /// <summary>True when <paramref name="text"/> is an IPv4 dotted quad (four decimal octets).</summary>
    public static bool IsIPv4(string text, out string normalized)
    {
        normalized = text;
        var parts = text.Split('.');
        // A leading zero ("010") is octal to IPAddress.Parse and inet_aton but decimal elsewhere, and "09" makes
        // IPAddress.Parse throw; like Go's net.ParseIP (which Cilium and Kubernetes use) such octets are refused.
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0')
            || int.Parse(p, CultureInfo.InvariantCulture) > 255))
        {
            return false;
        }

        normalized = IPAddress.Parse(text).ToString();
        return true;
    }

    /// <summary>
    /// Checks an IPv6 destination written in brackets: an IPv6 literal without zone, normalised to RFC 5952
    /// form; returns the problem in words, or <c>null</c>. An IPv4-mapped address (<c>::ffff:a.b.c.d</c>) is
    /// refused: clients connect to it over IPv4 (Go, and Linux dual-stack sockets), so a <c>toCIDR</c> /128
    /// rule and an IPv6 upstream never see that traffic.
    /// </summary>
    public static string? CheckIPv6Destination(string text, out string normalized)
    {
        if (!IsIPv6(text, out normalized))
        {
            return "which is not an IPv6 address";
        }

        var address = IPAddress.Parse(normalized);
        return address.IsIPv4MappedToIPv6
            ? $"which is an IPv4-mapped IPv6 address: the connection goes over IPv4 to {address.MapToIPv4()}, which a rule for the IPv6 address never selects; write the IPv4 address {address.MapToIPv4()}"
            : null;
    }

    /// <summary>True when <paramref name="text"/> is an IPv6 literal (no zone); normalised to RFC 5952 form.</summary>
    public static bool IsIPv6(string text, out string normalized)
    {
        normalized = text;
        if (!text.Contains(':', StringComparison.Ordinal) || text.Contains('%', StringComparison.Ordinal)
            || !IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        normalized = address.ToString();
        return true;
    }
}
