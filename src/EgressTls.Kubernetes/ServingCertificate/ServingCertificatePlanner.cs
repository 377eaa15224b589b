using System.Collections.Immutable;

namespace EgressTls.Kubernetes.ServingCertificate;

/// <summary>
/// Pure decisions of the self-managed serving certificate: which step the Secret needs, which names the
/// certificate carries, and which CA certificates belong in the webhook's caBundle.
/// </summary>
/// <remarks>
/// Rotation of the serving certificate alone never touches caBundle (same CA). Rotation of the CA overlaps:
/// the next CA is first only published (caBundle = current + next), then after
/// <see cref="ServingCertificateOptions.CaPropagation"/> it signs the new certificate while the old CA stays
/// published as previous until it expires; so the API server trusts whatever certificate any replica serves
/// at any moment of the change.
/// </remarks>
public static class ServingCertificatePlanner
{
    /// <summary>The step for <paramref name="facts"/> (null: no Secret) at <paramref name="now"/>. One step at a
    /// time, most urgent first: a staged CA ready for promotion, then CA staging, then certificate renewal.</summary>
    public static ServingStep Plan(ServingFacts? facts, DateTimeOffset now, ServingCertificateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (facts is null)
        {
            return ServingStep.Create;
        }

        if (facts.NextCaStagedAt is { } staged)
        {
            if (now >= staged + options.CaPropagation || now >= facts.CaNotAfter)
            {
                return ServingStep.PromoteNextCa;
            }
        }
        else if (facts.CaNotAfter - now <= options.CaRenewBefore)
        {
            return ServingStep.StageNextCa;
        }

        if (NeedsRenewal(facts.CertificateNotAfter, now, options.RenewBefore) || !facts.CertificateMatches)
        {
            return ServingStep.RenewCertificate;
        }

        return facts.PreviousCaNotAfter is { } previous && now >= previous ? ServingStep.DropPreviousCa : ServingStep.UpToDate;
    }

    /// <summary>True when less than <paramref name="renewBefore"/> remains before <paramref name="notAfter"/>.</summary>
    public static bool NeedsRenewal(DateTimeOffset notAfter, DateTimeOffset now, TimeSpan renewBefore) => notAfter - now <= renewBefore;

    /// <summary>The end of a certificate issued at <paramref name="now"/>: its lifetime, but never past its CA.</summary>
    public static DateTimeOffset CertificateNotAfter(DateTimeOffset now, TimeSpan duration, DateTimeOffset caNotAfter) =>
        now + duration < caNotAfter ? now + duration : caNotAfter;

    /// <summary>The names the API server may use for the webhook Service: the bare name,
    /// <c>&lt;service&gt;.&lt;namespace&gt;</c>, <c>.svc</c> and <c>.svc.cluster.local</c>.</summary>
    public static ImmutableArray<string> DnsNames(string serviceName, string @namespace) =>
    [
        $"{serviceName}.{@namespace}.svc",
        $"{serviceName}.{@namespace}.svc.cluster.local",
        $"{serviceName}.{@namespace}",
        serviceName,
    ];

    /// <summary>
    /// The caBundle: the given CA certificates (PEM, null entries ignored) that are still valid at
    /// <paramref name="now"/>, without duplicates, in the given order (current, next, previous).
    /// </summary>
    public static string CaBundle(IEnumerable<(string? Pem, DateTimeOffset NotAfter)> cas, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(cas);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var bundle = new System.Text.StringBuilder();
        foreach (var (pem, notAfter) in cas)
        {
            if (pem is null || now >= notAfter)
            {
                continue;
            }

            var normalized = pem.Trim() + "\n";
            if (seen.Add(normalized))
            {
                bundle.Append(normalized);
            }
        }

        return bundle.ToString();
    }
}
