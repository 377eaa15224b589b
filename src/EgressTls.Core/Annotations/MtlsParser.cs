using System.Collections.Immutable;
using EgressTls.Core.Model;

namespace EgressTls.Core.Annotations;

/// <summary>
/// Parses <c>egress-tls.io/mtls</c>. On pods and namespaces: entries separated by <c>;</c> or newlines, each
/// <c>&lt;host&gt;:&lt;port&gt; cert=&lt;secret&gt; [ca=&lt;secret&gt;] [sni=&lt;name&gt;] [verify=false]</c>
/// (<see cref="Parse"/>). On Flux Providers: the options alone (<see cref="ParseOptions"/>). Both share one
/// option parser, so the vocabulary and its messages are the same.
/// </summary>
public static class MtlsParser
{
    private static readonly char[] EntrySeparators = [';', '\n'];
    private static readonly char[] TokenSeparators = [' ', '\t', '\r', '\n'];

    /// <summary>
    /// Parses every entry, returning the destinations sorted by destination, or one problem sentence per
    /// mistake (all entries are checked). Empty entries (a trailing <c>;</c>) are ignored. The SNI
    /// defaults to the host for DNS destinations and is absent for IPs.
    /// </summary>
    public static (ImmutableArray<MtlsDestination> Destinations, ImmutableArray<string> Problems) Parse(string value)
    {
        var form = AnnotationRegistry.Mtls.Form;
        var destinations = new SortedDictionary<HostPort, MtlsDestination>();
        var problems = ImmutableArray.CreateBuilder<string>();
        foreach (var raw in value.Split(EntrySeparators))
        {
            var entry = raw.Trim();
            if (entry.Length == 0)
            {
                continue;
            }

            var entryProblems = new List<string>();
            var destination = ParseEntry(entry, entryProblems);
            if (destination is not null && destinations.ContainsKey(destination.Destination))
            {
                entryProblems.Add($"repeats the destination {destination.Destination}; each destination may appear once");
            }

            if (entryProblems.Count > 0)
            {
                problems.AddRange(entryProblems.Select(p => $"entry {ValueQuote.Quote(entry)} {p}; expected {form}"));
            }
            else
            {
                destinations[destination!.Destination] = destination;
            }
        }

        return problems.Count > 0 ? ([], problems.ToImmutable()) : ([.. destinations.Values], []);
    }

    /// <summary>
    /// Parses the value of <c>egress-tls.io/mtls</c> on a Flux Provider: the options of one entry without a
    /// destination (<c>cert=&lt;secret&gt; [ca=&lt;secret&gt;] [sni=&lt;name&gt;] [verify=false]</c>), since the
    /// destination is the Provider's <c>spec.address</c>. Returns the options, or every problem as a sentence
    /// ending in the expected form.
    /// </summary>
    public static (MtlsOptions? Options, ImmutableArray<string> Problems) ParseOptions(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var problems = new List<string>();
        if (value.Split(EntrySeparators).Count(e => e.Trim().Length > 0) > 1)
        {
            problems.Add("has several entries; a Provider has one destination (spec.address), so one set of options");
        }

        var tokens = value.Split(TokenSeparators, StringSplitOptions.RemoveEmptyEntries);
        var options = problems.Count == 0 ? ParseOptionTokens(tokens, destinationGiven: false, problems) : null;
        return problems.Count > 0
            ? (null, [.. problems.Select(p => $"{ValueQuote.Quote(value)} {p}; expected {AnnotationRegistry.MtlsProviderForm}")])
            : (options, []);
    }

    private static MtlsDestination? ParseEntry(string entry, List<string> problems)
    {
        var tokens = entry.Split(TokenSeparators, StringSplitOptions.RemoveEmptyEntries);
        // An entry that starts with an option has no destination; its options are still checked.
        var hasDestination = !tokens[0].Contains('=', StringComparison.Ordinal);
        var hostPort = hasDestination ? ParseDestination(tokens[0], problems) : null;
        if (!hasDestination)
        {
            problems.Add("does not start with <host>:<port>");
        }

        var options = ParseOptionTokens(tokens.Skip(hasDestination ? 1 : 0), destinationGiven: true, problems);
        return problems.Count == 0 ? options!.For(hostPort!) : null;
    }

    /// <summary>The option parser shared by pod entries and Provider values: each token must be
    /// <c>key=value</c> with a known key, at most once; <c>cert=</c> is required.</summary>
    private static MtlsOptions? ParseOptionTokens(IEnumerable<string> tokens, bool destinationGiven, List<string> problems)
    {
        var before = problems.Count;
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var token in tokens)
        {
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                problems.Add(destinationGiven
                    ? $"has {ValueQuote.Quote(token)}, which is not key=value"
                    : $"has {ValueQuote.Quote(token)}, which is not key=value (a Provider's destination is its spec.address, not part of the annotation)");
                continue;
            }

            var key = token[..eq];
            var optionValue = token[(eq + 1)..];
            if (key is not ("cert" or "ca" or "sni" or "verify"))
            {
                problems.Add($"has the unknown option {ValueQuote.Quote(key)} (known: cert, ca, sni, verify)");
            }
            else if (!options.TryAdd(key, optionValue))
            {
                problems.Add($"sets {key}= twice");
            }
        }

        string? cert = null;
        if (!options.TryGetValue("cert", out var certText))
        {
            problems.Add("has no cert=<secret> (the client certificate)");
        }
        else if (SecretNames.Check(certText) is { } certProblem)
        {
            problems.Add($"has cert={ValueQuote.Quote(certText)}, which {certProblem}");
        }
        else
        {
            cert = certText;
        }

        string? ca = null;
        if (options.TryGetValue("ca", out var caText))
        {
            if (SecretNames.Check(caText) is { } caProblem)
            {
                problems.Add($"has ca={ValueQuote.Quote(caText)}, which {caProblem}");
            }
            else
            {
                ca = caText;
            }
        }

        var verify = true;
        if (options.TryGetValue("verify", out var verifyText))
        {
            if (verifyText is "false")
            {
                verify = false;
            }
            else if (verifyText is not "true")
            {
                problems.Add($"has verify={ValueQuote.Quote(verifyText)} (true or false)");
            }
        }

        if (!verify && caText is not null)
        {
            problems.Add("has both ca= and verify=false; a server CA is only used when the server is verified");
        }

        string? sni = null;
        if (options.TryGetValue("sni", out var sniText))
        {
            if (HostSyntax.CheckDnsName(sniText, out var normalizedSni) is { } sniProblem)
            {
                problems.Add($"has sni={ValueQuote.Quote(sniText)}, which {sniProblem}");
            }
            else
            {
                sni = normalizedSni;
            }
        }

        return problems.Count == before ? new MtlsOptions(cert!, ca, sni, verify) : null;
    }

    private static HostPort? ParseDestination(string token, List<string> problems)
    {
        if (!HostSyntax.TrySplitHostPort(token, out var host, out var portText, out var bracketed))
        {
            problems.Add($"has the destination {ValueQuote.Quote(token)}, which is not <host>:<port> (IPv6 in brackets: [2001:db8::1]:443)");
            return null;
        }

        var ok = true;
        int port = 0;
        if (portText is null)
        {
            problems.Add($"has the destination {ValueQuote.Quote(token)} without a port (the port the application connects to is required)");
            ok = false;
        }
        else if (!HostSyntax.TryParsePort(portText, out port))
        {
            problems.Add($"has the destination {ValueQuote.Quote(token)} with an invalid port (1-65535)");
            ok = false;
        }

        string normalized;
        if (bracketed)
        {
            if (HostSyntax.CheckIPv6Destination(host, out normalized) is { } ipv6Problem)
            {
                problems.Add($"has {ValueQuote.Quote("[" + host + "]")}, {ipv6Problem}");
                return null;
            }
        }
        else if (HostSyntax.IsIPv4(host, out normalized))
        {
        }
        else if (host.Contains('*', StringComparison.Ordinal))
        {
            problems.Add($"has the wildcard {ValueQuote.Quote(host)}; an mtls destination is one IP or DNS name");
            return null;
        }
        else if (HostSyntax.CheckDnsName(host, out normalized) is { } problem)
        {
            problems.Add($"has the host {ValueQuote.Quote(host)}, which {problem}");
            return null;
        }

        return ok ? new HostPort(normalized, port) : null;
    }
}
