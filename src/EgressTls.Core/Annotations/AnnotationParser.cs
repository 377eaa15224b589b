using System.Collections.Immutable;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Annotations;

/// <summary>
/// Turns effective annotations into an <see cref="EgressRequest"/>, collecting every error at once
/// (trust-manager's validator model: the user fixes everything in one round trip).
/// </summary>
public static class AnnotationParser
{
    private const string TlsSecretType = "kubernetes.io/tls";

    // Errors reported per annotation: a value with thousands of mistakes must not make a denial of megabytes
    // (the API server returns it to the user and logs it); the rest are counted in one closing error.
    private const int MaxErrorsPerField = 20;

    /// <summary>
    /// Parses and validates. Secrets are checked against <paramref name="secrets"/>: a referenced Secret
    /// that is absent is an error when <paramref name="secretsComplete"/>, and assumed valid otherwise.
    /// </summary>
    public static EgressRequest Parse(
        EffectiveAnnotations annotations,
        string namespaceName,
        IReadOnlyDictionary<string, SecretSummary> secrets,
        bool secretsComplete)
    {
        var errors = ImmutableArray.CreateBuilder<FieldError>();
        var warnings = ImmutableArray.CreateBuilder<string>();
        var values = annotations.Values;

        var errorsPerKey = new Dictionary<AnnotationKey, int>();
        void Error(AnnotationKey key, string message)
        {
            var count = errorsPerKey[key] = errorsPerKey.GetValueOrDefault(key) + 1;
            if (count > MaxErrorsPerField)
            {
                return;
            }

            var value = values[key.FullName];
            var suffix = value.Origin == AnnotationOrigin.Namespace ? $" (default set on namespace {ValueQuote.Quote(value.OriginName)})" : string.Empty;
            errors.Add(new FieldError(value.FieldFor(key), message + suffix));
        }

        string? Raw(AnnotationKey key) => values.TryGetValue(key.FullName, out var v) ? v.Value : null;

        // Every Secret checked is recorded: the shell fetches exactly these names (EgressRequest.SecretNames)
        // before the parse that checks them against the cluster.
        var checks = ImmutableArray.CreateBuilder<SecretCheck>();
        void Check(SecretCheck check)
        {
            checks.Add(check);
            CheckSecret(check, Error, namespaceName, secrets, secretsComplete);
        }

        // intercept
        ImmutableArray<HostPort> hosts = [];
        if (Raw(AnnotationRegistry.Intercept) is { } interceptText)
        {
            var (parsed, problems) = InterceptParser.Parse(interceptText);
            hosts = parsed;
            foreach (var p in problems)
            {
                Error(AnnotationRegistry.Intercept, p);
            }
        }

        ImmutableArray<HttpRule>? rules = null;
        if (Raw(AnnotationRegistry.InterceptHttpRules) is { } rulesText)
        {
            var (parsed, problems) = HttpRulesParser.Parse(rulesText);
            rules = parsed;
            foreach (var p in problems)
            {
                Error(AnnotationRegistry.InterceptHttpRules, p);
            }
        }

        string? upstreamCa = null;
        if (Raw(AnnotationRegistry.UpstreamCa) is { } upstreamText)
        {
            var name = upstreamText.Trim();
            if (SecretNames.Check(name) is { } problem)
            {
                Error(AnnotationRegistry.UpstreamCa, $"{ValueQuote.Quote(upstreamText)} {problem}; expected {AnnotationRegistry.UpstreamCa.Form}");
            }
            else
            {
                upstreamCa = name;
                Check(new SecretCheck(AnnotationRegistry.UpstreamCa, name, "upstream-ca", NeedsTls: false));
            }
        }

        ImmutableArray<MtlsDestination> mtls = [];
        if (Raw(AnnotationRegistry.Mtls) is { } mtlsText)
        {
            var (parsed, problems) = MtlsParser.Parse(mtlsText);
            mtls = parsed;
            foreach (var p in problems)
            {
                Error(AnnotationRegistry.Mtls, p);
            }

            foreach (var m in mtls)
            {
                Check(new SecretCheck(AnnotationRegistry.Mtls, m.ClientCertSecret, $"cert= of {m.Destination}", NeedsTls: true));
                if (m.ServerCaSecret is { } ca)
                {
                    Check(new SecretCheck(AnnotationRegistry.Mtls, ca, $"ca= of {m.Destination}", NeedsTls: false));
                }

                // A destination both intercepted and given a client certificate would need two Envoy
                // redirects for one connection; Cilium can honour only one.
                if (hosts.Contains(m.Destination))
                {
                    Error(AnnotationRegistry.Mtls, $"destination {m.Destination} is also in egress-tls.io/intercept; expected each destination in only one of intercept and mtls");
                }
            }
        }

        var injectCa = ParseBool(AnnotationRegistry.InjectCa, Raw(AnnotationRegistry.InjectCa), !hosts.IsEmpty, Error);
        var systemPaths = ParseBool(AnnotationRegistry.CaSystemPaths, Raw(AnnotationRegistry.CaSystemPaths), false, Error);

        var otherEgress = OtherEgress.Allow;
        if (Raw(AnnotationRegistry.OtherEgress) is { } otherText)
        {
            switch (otherText.Trim())
            {
                case "allow": otherEgress = OtherEgress.Allow; break;
                case "deny": otherEgress = OtherEgress.Deny; break;
                default: Error(AnnotationRegistry.OtherEgress, $"{ValueQuote.Quote(otherText)} is not allow or deny; expected {AnnotationRegistry.OtherEgress.Form}"); break;
            }
        }

        var intercept = hosts.IsEmpty ? null : new InterceptSpec(hosts, rules, upstreamCa);
        if (intercept is not null && rules is { IsDefaultOrEmpty: false } given)
        {
            warnings.AddRange(HttpRulesParser.HostWarnings(given, hosts));
        }

        if (intercept is null)
        {
            foreach (var key in new[] { AnnotationRegistry.InterceptHttpRules, AnnotationRegistry.UpstreamCa })
            {
                if (values.ContainsKey(key.FullName))
                {
                    warnings.Add($"annotation {key.FullName} has no effect without egress-tls.io/intercept");
                }
            }
        }

        if (intercept is null && mtls.IsEmpty && values.ContainsKey(AnnotationRegistry.OtherEgress.FullName))
        {
            warnings.Add($"annotation {AnnotationRegistry.OtherEgress.FullName} has no effect without egress-tls.io/intercept or egress-tls.io/mtls");
        }

        if (!injectCa && systemPaths)
        {
            warnings.Add($"annotation {AnnotationRegistry.CaSystemPaths.FullName} has no effect while egress-tls.io/inject-ca is false");
        }

        if (intercept is not null && !injectCa)
        {
            warnings.Add("egress-tls.io/inject-ca is false: the pod's TLS clients must trust the interception CA by other means, or intercepted connections fail");
        }

        foreach (var (key, count) in errorsPerKey.Where(e => e.Value > MaxErrorsPerField).OrderBy(e => e.Key.Name, StringComparer.Ordinal))
        {
            errors.Add(new FieldError(values[key.FullName].FieldFor(key), $"has {count - MaxErrorsPerField} more problems not listed; expected {key.Form}"));
        }

        return new EgressRequest(intercept, mtls, injectCa, systemPaths, otherEgress, errors.ToImmutable(), warnings.ToImmutable())
        {
            SecretChecks = checks.ToImmutable(),
        };
    }

    private static bool ParseBool(AnnotationKey key, string? raw, bool fallback, Action<AnnotationKey, string> error)
    {
        switch (raw?.Trim())
        {
            case null: return fallback;
            case "true": return true;
            case "false": return false;
            default:
                error(key, $"{ValueQuote.Quote(raw)} is not true or false; expected {key.Form}");
                return fallback;
        }
    }

    /// <summary>
    /// True when every check of <paramref name="request"/> passes against <paramref name="secrets"/>: then
    /// parsing again with these Secrets gives <paramref name="request"/> itself, since Secrets only ever add
    /// errors (the admission path parses once, before the Secrets are read).
    /// </summary>
    internal static bool SecretsPass(EgressRequest request, IReadOnlyDictionary<string, SecretSummary> secrets, bool secretsComplete)
    {
        var pass = true;
        foreach (var check in request.SecretChecks)
        {
            CheckSecret(check, (_, _) => pass = false, string.Empty, secrets, secretsComplete);
        }

        return pass;
    }

    /// <summary>Checks that a referenced Secret exists (when <paramref name="secretsComplete"/>) and has the keys
    /// its use needs; shared by pod annotations and Flux Providers.</summary>
    internal static void CheckSecret(
        SecretCheck check,
        Action<AnnotationKey, string> error,
        string namespaceName,
        IReadOnlyDictionary<string, SecretSummary> secrets,
        bool secretsComplete)
    {
        var (key, name, usage, needsTls) = check;
        var expected = needsTls
            ? "expected a Secret of type kubernetes.io/tls with the keys tls.crt and tls.key"
            : "expected a Secret with the key ca.crt";
        if (!secrets.TryGetValue(name, out var secret))
        {
            if (secretsComplete)
            {
                error(key, $"Secret {ValueQuote.Quote(name)} ({usage}) does not exist in namespace {ValueQuote.Quote(namespaceName)}; {expected}");
            }

            return;
        }

        if (needsTls)
        {
            var missing = new[] { "tls.crt", "tls.key" }.Where(k => !secret.Keys.Contains(k)).ToArray();
            if (secret.Type != TlsSecretType || missing.Length > 0)
            {
                var found = secret.Type != TlsSecretType ? $"has type {ValueQuote.Quote(secret.Type)}" : $"lacks {string.Join(" and ", missing)}";
                error(key, $"Secret {ValueQuote.Quote(name)} ({usage}) {found}; {expected}");
            }
        }
        else if (!secret.Keys.Contains("ca.crt"))
        {
            error(key, $"Secret {ValueQuote.Quote(name)} ({usage}) has no key ca.crt (keys: {string.Join(", ", secret.Keys)}); {expected}");
        }
    }
}
