using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Model;
using EgressTls.Core.Serialization;

namespace EgressTls.Core.Annotations;

/// <summary>Parses <c>egress-tls.io/intercept-http-rules</c> into Cilium HTTP rules.</summary>
public static class HttpRulesParser
{
    private const int RememberedCapacity = 1024;
    private const int RememberedMaxLength = 4096;

    private static readonly ImmutableArray<string> KnownFields = ["headers", "host", "method", "path"];

    private static readonly ConcurrentDictionary<string, (ImmutableArray<HttpRule>, ImmutableArray<string>)> Remembered = new(StringComparer.Ordinal);

    /// <summary>
    /// Parses a JSON (or YAML flow) list of rule objects. Returns the rules in the user's order, or
    /// problems: not a list, an empty list, unknown fields, non-string values, or regular expressions
    /// that would not compile.
    /// </summary>
    /// <remarks>
    /// Results are remembered per value (bounded): parsing goes through YAML and builds a regex per
    /// field, which cost more than the rest of an admission, while a cluster has few distinct rule sets
    /// and every pod of a profile repeats one. The result depends on the value alone and is immutable,
    /// so sharing it keeps Render pure and deterministic.
    /// </remarks>
    public static (ImmutableArray<HttpRule> Rules, ImmutableArray<string> Problems) Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (Remembered.TryGetValue(value, out var known))
        {
            return known;
        }

        var result = ParseUncached(value);
        if (Remembered.Count < RememberedCapacity && value.Length <= RememberedMaxLength)
        {
            Remembered.TryAdd(value, result);
        }

        return result;
    }

    private static (ImmutableArray<HttpRule> Rules, ImmutableArray<string> Problems) ParseUncached(string value)
    {
        var form = AnnotationRegistry.InterceptHttpRules.Form;
        JsonNode? node;
        try
        {
            node = Yaml.Parse(value);
        }
        catch (YamlLimitException ex)
        {
            return ([], [$"{ValueQuote.Quote(value)}: {ex.Message}; expected {form}"]);
        }
        catch (YamlDotNet.Core.YamlException)
        {
            return ([], [$"{ValueQuote.Quote(value)} is not valid JSON or YAML; expected {form}"]);
        }

        if (node is not JsonArray array)
        {
            return ([], [$"{ValueQuote.Quote(value)} is not a list; expected {form}"]);
        }

        if (array.Count == 0)
        {
            return ([], [$"{ValueQuote.Quote(value)} is an empty list, which would allow no request; expected {form} (omit the annotation to allow every request)"]);
        }

        var rules = ImmutableArray.CreateBuilder<HttpRule>();
        var problems = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject rule)
            {
                problems.Add($"rule {i} is not an object; expected {form}");
                continue;
            }

            var ruleProblems = new List<string>();
            foreach (var (name, _) in rule)
            {
                if (!KnownFields.Contains(name))
                {
                    ruleProblems.Add($"rule {i} has the unknown field {ValueQuote.Quote(name)}");
                }
            }

            var method = RegexField(rule, "method", i, ruleProblems);
            var path = RegexField(rule, "path", i, ruleProblems);
            var host = RegexField(rule, "host", i, ruleProblems);
            var headers = ImmutableArray.CreateBuilder<string>();
            if (rule.TryGetPropertyValue("headers", out var headersNode))
            {
                if (headersNode is JsonArray headerArray && headerArray.All(h => h is JsonValue v && v.GetValueKind() == JsonValueKind.String && ((string)v!).Trim().Length > 0))
                {
                    headers.AddRange(headerArray.Select(h => (string)h!));
                    foreach (var header in headers)
                    {
                        if (HeaderProblem(header) is { } headerProblem)
                        {
                            ruleProblems.Add($"rule {i} header {ValueQuote.Quote(header)} {headerProblem}");
                        }
                    }
                }
                else
                {
                    ruleProblems.Add($"rule {i} field \"headers\" is not a list of non-empty strings");
                }
            }

            if (ruleProblems.Count == 0)
            {
                rules.Add(new HttpRule(method, path, host, headers.ToImmutable()));
            }
            else
            {
                problems.AddRange(ruleProblems.Select(p => $"{p}; expected {form}"));
            }
        }

        return problems.Count > 0 ? ([], problems.ToImmutable()) : (rules.ToImmutable(), []);
    }

    /// <summary>
    /// Warnings for <c>host</c> patterns that match an intercepted name but not the Host header clients send
    /// to it: Cilium matches <c>host</c> against <c>:authority</c> as a full RE2 match, and clients add
    /// <c>:port</c> to the Host header for every port but 443 (RFC 9110 section 7.2), so
    /// <c>api\.example\.com</c> denies every request to <c>api.example.com:8443</c>, and
    /// <c>api\.example\.com:443</c> every request to <c>api.example.com</c>. Exact names only (a wildcard has no
    /// one Host value).
    /// </summary>
    public static ImmutableArray<string> HostWarnings(ImmutableArray<HttpRule> rules, ImmutableArray<HostPort> hosts)
    {
        var warnings = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i < rules.Length; i++)
        {
            if (rules[i].Host is not { } pattern || !RegexCheck.IsRe2Compatible(pattern))
            {
                continue;
            }

            var regex = new System.Text.RegularExpressions.Regex($"^(?:{pattern})$", System.Text.RegularExpressions.RegexOptions.NonBacktracking | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
            foreach (var target in hosts.Where(h => !h.IsWildcard))
            {
                var sent = target.Port == 443 ? target.Host : $"{target.Host}:{target.Port}";
                var other = target.Port == 443 ? $"{target.Host}:443" : target.Host;
                if (regex.IsMatch(other) && !regex.IsMatch(sent))
                {
                    warnings.Add($"{AnnotationRegistry.InterceptHttpRules.FullName}: rule {i} host {ValueQuote.Quote(pattern)} matches {ValueQuote.Quote(other)} but not {ValueQuote.Quote(sent)}, the Host header clients send to {target} (Cilium matches the whole header, and it carries the port unless the port is 443), so every request to {target} is denied; expected a host pattern that matches {ValueQuote.Quote(sent)}");
                }
            }
        }

        return warnings.ToImmutable();
    }

    /// <summary>
    /// Why Cilium would turn <paramref name="header"/> into a header match no request can satisfy, or <c>null</c>.
    /// Cilium splits an entry at its first space: one part is a header that must be present, named exactly
    /// as written; two parts are the name (trailing ':' removed) and the exact value
    /// (pkg/envoy/xds_server.go getHTTPRule). So <c>X-Token:abc</c> asks for a header literally named
    /// "X-Token:abc", <c>X-Token:  abc</c> for the value " abc" (HTTP strips the blanks around a value), and
    /// a leading space for a header with no name: every request would be denied.
    /// </summary>
    private static string? HeaderProblem(string header)
    {
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        var name = space < 0 ? header : header[..space].TrimEnd(':');
        var value = space < 0 ? null : header[(space + 1)..];
        const string Why = "; Cilium reads the text before the first space as the header name (without a trailing ':') and the rest as its exact value";
        if (!IsHeaderName(name))
        {
            var colon = name.Contains(':', StringComparison.Ordinal) ? " (the ':' needs a space after it)" : string.Empty;
            return $"does not start with an HTTP header name{colon}{Why}, so no request would match";
        }

        if (value is not null && (value.Length == 0 || char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1])))
        {
            return $"has {(value.Trim().Length == 0 ? "no value" : "blanks around its value")} after the name{Why}, and HTTP strips the blanks around a header value";
        }

        return null;
    }

    // An RFC 9110 field name (a token), or a pseudo-header such as :authority.
    private static bool IsHeaderName(string name)
    {
        var token = name.StartsWith(':') ? name[1..] : name;
        return token.Length > 0 && token.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));
    }

    private static string? RegexField(JsonObject rule, string field, int index, List<string> problems)
    {
        if (!rule.TryGetPropertyValue(field, out var node))
        {
            return null;
        }

        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            problems.Add($"rule {index} field \"{field}\" is not a string");
            return null;
        }

        var pattern = (string)value!;
        if (!RegexCheck.IsRe2Compatible(pattern))
        {
            problems.Add($"rule {index} field \"{field}\" {ValueQuote.Quote(pattern)} is not a regular expression Envoy (RE2) accepts");
        }

        return pattern;
    }
}
