using System.Collections.Immutable;
using EgressTls.Core.Annotations;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Flux;

/// <summary>
/// The Provider settings that would make the rewrite silently not work, each refused with the field and
/// what to change. Everything here reads the Provider and the summaries (type and key names)
/// of the Secrets it references; never Secret data.
/// </summary>
internal static class ProviderChecks
{
    private const string RemoveMtls = "or remove " + Naming.Prefix + "mtls";

    /// <summary>Only <c>generic</c> and <c>generic-hmac</c> post to <c>spec.address</c> as given (peers.md A2).</summary>
    public static void Type(ProviderSpec spec, ImmutableArray<FieldError>.Builder errors)
    {
        if (spec.Type is not ("generic" or "generic-hmac"))
        {
            errors.Add(new FieldError("spec.type",
                $"{ValueQuote.Quote(spec.Type ?? string.Empty)} is not a generic webhook: egress-tls rewrites only the address of generic and generic-hmac Providers, which post to spec.address as written (the other types talk to their service's API in their own way); expected type generic or generic-hmac, {RemoveMtls}"));
        }
    }

    /// <summary>
    /// A per-Provider proxy carries the request to the proxy's address, which the policy does not redirect;
    /// the proxy would then speak plain HTTP to a TLS port (peers.md A2, A4: <c>http.ProxyURL</c> replaces the
    /// environment's proxy for that Provider).
    /// </summary>
    public static void Proxy(ProviderSpec spec, ImmutableArray<FieldError>.Builder errors)
    {
        const string Why = "the controller would send the request to the proxy instead of the destination, so Cilium's redirect to Envoy never sees it (and the proxy would speak plain HTTP to a TLS server)";
        if (spec.Proxy is { } proxy)
        {
            errors.Add(new FieldError("spec.proxy", $"{ValueQuote.Quote(proxy)} is set: {Why}; expected no proxy on this Provider, {RemoveMtls}"));
        }

        if (spec.ProxySecretRef is { } proxySecret)
        {
            errors.Add(new FieldError("spec.proxySecretRef", $"Secret {ValueQuote.Quote(proxySecret)} is set: {Why}; expected no proxySecretRef on this Provider, {RemoveMtls}"));
        }
    }

    /// <summary>
    /// An <c>address</c> key in the secretRef Secret overrides spec.address (peers.md A2, recommended by Flux
    /// when the URL embeds a token), and egress-tls sees only key names, never the value: the effective
    /// destination would be unknown. A legacy <c>proxy</c> key bypasses the redirect like spec.proxy. A
    /// secretRef holding only token, headers, username or password is fine.
    /// </summary>
    public static void SecretRef(ProviderSpec spec, RenderInput input, ImmutableArray<FieldError>.Builder errors, ImmutableArray<string>.Builder warnings)
    {
        if (spec.SecretRef is not { } name)
        {
            return;
        }

        var quoted = ValueQuote.Quote(name);
        if (!input.Secrets.TryGetValue(name, out var secret))
        {
            if (input.SecretsComplete)
            {
                errors.Add(new FieldError("spec.secretRef",
                    $"Secret {quoted} does not exist in namespace {ValueQuote.Quote(input.Namespace.Name)}; egress-tls must see its keys to know it holds no address (an address there overrides spec.address); expected the Secret created first (with token, headers, username or password only), {RemoveMtls}"));
            }
            else
            {
                warnings.Add($"spec.secretRef: Secret {quoted} was not available, so it is assumed to hold no address or proxy key; an address key there would override spec.address and bypass egress-tls");
            }

            return;
        }

        if (secret.Keys.Contains("address"))
        {
            errors.Add(new FieldError("spec.secretRef",
                $"Secret {quoted} has the key address, which overrides spec.address, and egress-tls cannot read it at admission (it sees key names only), so it can neither rewrite it nor know the destination; expected the address moved into spec.address and the address key removed from the Secret, {RemoveMtls}"));
        }

        if (secret.Keys.Contains("proxy"))
        {
            errors.Add(new FieldError("spec.secretRef",
                $"Secret {quoted} has the key proxy: the controller would send through that proxy and bypass the redirect to Envoy; expected the proxy key removed from the Secret, {RemoveMtls}"));
        }
    }

    /// <summary>
    /// Returns the Secret whose <c>ca.crt</c> should verify the server when no <c>ca=</c> is given: the
    /// certSecretRef Secret when it has <c>ca.crt</c> (with it the controller trusted only that CA, peers.md
    /// A3; now Envoy verifies with it). Refuses a certSecretRef with a client certificate: Flux 2.7+
    /// presents it itself (notification-controller 1.7, fluxcd/notification-controller#1137), which is the
    /// alternative to egress-tls, not something to combine with it.
    /// </summary>
    public static string? CertSecretRef(ProviderSpec spec, RenderInput input, ImmutableArray<FieldError>.Builder errors, ImmutableArray<string>.Builder warnings)
    {
        if (spec.CertSecretRef is not { } name)
        {
            return null;
        }

        var quoted = ValueQuote.Quote(name);
        if (!input.Secrets.TryGetValue(name, out var secret))
        {
            if (input.SecretsComplete)
            {
                errors.Add(new FieldError("spec.certSecretRef",
                    $"Secret {quoted} does not exist in namespace {ValueQuote.Quote(input.Namespace.Name)}; expected a Secret with the key ca.crt (it verifies the server), or no certSecretRef"));
                return null;
            }

            warnings.Add($"spec.certSecretRef: Secret {quoted} was not available, so it is assumed to hold ca.crt, which then verifies the server (a client certificate there would be refused)");
            return name;
        }

        // Legacy keys (certFile, keyFile, caFile) are still read by the controller with a deprecation log (peers.md A2).
        var clientKeys = new[] { "tls.crt", "tls.key", "certFile", "keyFile" }.Where(secret.Keys.Contains).ToArray();
        if (clientKeys.Length > 0)
        {
            errors.Add(new FieldError("spec.certSecretRef",
                $"Secret {quoted} has {string.Join(" and ", clientKeys)}: a client certificate for the controller itself. Flux 2.7+ presents it natively (mTLS for generic Providers since notification-controller 1.7, fluxcd/notification-controller#1137) and needs no egress-tls; with egress-tls the controller speaks plain HTTP to Envoy and this certificate is never used, leaving two places that claim the client identity; expected either no {Naming.Prefix}mtls (use Flux's own mTLS, Flux 2.7+), or a certSecretRef Secret with only ca.crt (or no certSecretRef and the CA in ca=) so that Envoy presents cert="));
        }

        if (secret.Keys.Contains("caFile") && !secret.Keys.Contains("ca.crt"))
        {
            errors.Add(new FieldError("spec.certSecretRef",
                $"Secret {quoted} has the legacy key caFile but no ca.crt; egress-tls copies ca.crt to Envoy; expected the CA under the key ca.crt"));
        }

        return secret.Keys.Contains("ca.crt") ? name : null;
    }
}
