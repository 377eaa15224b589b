using System.Collections.Immutable;
using System.Globalization;
using System.Net;

namespace EgressTls.Pki;

/// <summary>Normalization of the names a leaf certificate covers.</summary>
public static class LeafNames
{
    private static readonly IdnMapping Idn = new();

    /// <summary>
    /// Normalizes names: trims, lowercases DNS names, converts IDNs to their A-label (punycode, RFC 5280 7.2),
    /// canonicalizes IP literals (brackets removed), and drops duplicates keeping the first occurrence.
    /// Throws <see cref="ArgumentException"/> for an empty list or a name that is neither; the core
    /// validates user input before a request reaches the PKI, so this indicates a bug.
    /// </summary>
    public static ImmutableArray<string> Normalize(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<string>();
        foreach (var raw in names)
        {
            var n = Normalize(raw);
            if (seen.Add(n))
            {
                result.Add(n);
            }
        }

        if (result.Count == 0)
        {
            throw new ArgumentException("a leaf certificate needs at least one name", nameof(names));
        }

        return result.ToImmutable();
    }

    /// <summary>The cache-key form: <see cref="Normalize(IEnumerable{string})"/> then sorted ordinally.</summary>
    public static ImmutableArray<string> Sorted(IEnumerable<string> names) =>
        [.. Normalize(names).Order(StringComparer.Ordinal)];

    /// <summary>True when <paramref name="normalized"/> is an IP literal (it then goes into an iPAddress SAN).</summary>
    public static bool IsIpAddress(string normalized) => IPAddress.TryParse(normalized, out _) && !normalized.Contains('*');

    private static string Normalize(string raw)
    {
        var n = (raw ?? "").Trim();
        var unbracketed = n.StartsWith('[') && n.EndsWith(']') ? n[1..^1] : n;
        if (IPAddress.TryParse(unbracketed, out var ip) && (unbracketed.Contains(':') || unbracketed.Count(c => c == '.') == 3))
        {
            return ip.ToString();
        }

        var wildcard = n.StartsWith("*.", StringComparison.Ordinal);
        var body = wildcard ? n[2..] : n;
        body = body.TrimEnd('.');
        if (body.Length == 0 || body.Contains('*') || body.Split('.').Any(l => l.Length is 0 or > 63))
        {
            throw new ArgumentException($"\"{raw}\" is not a DNS name, a *. wildcard DNS name, or an IP address", nameof(raw));
        }

        string ascii;
        try
        {
            ascii = Idn.GetAscii(body).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"\"{raw}\" is not a DNS name, a *. wildcard DNS name, or an IP address", nameof(raw));
        }

        return wildcard ? "*." + ascii : ascii;
    }
}
