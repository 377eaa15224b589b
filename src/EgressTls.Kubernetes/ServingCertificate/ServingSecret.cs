using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EgressTls.Core;
using k8s.Models;

namespace EgressTls.Kubernetes.ServingCertificate;

/// <summary>
/// The content of the serving certificate Secret: <c>tls.crt</c>/<c>tls.key</c> (what Kestrel serves),
/// <c>ca.crt</c>/<c>ca.key</c> (the serving CA), optionally <c>ca-next.crt</c>/<c>ca-next.key</c> (a staged CA,
/// annotation <see cref="StagedAtAnnotation"/>) and <c>ca-previous.crt</c> (the CA before the last rotation).
/// </summary>
/// <param name="Certificate">The serving certificate.</param>
/// <param name="Ca">The current serving CA.</param>
/// <param name="NextCa">The staged CA, if any.</param>
/// <param name="NextCaStagedAt">When it was staged.</param>
/// <param name="PreviousCaPem">The previous CA certificate, if any.</param>
public sealed record ServingSecret(
    ServingKeyPair Certificate,
    ServingKeyPair Ca,
    ServingKeyPair? NextCa = null,
    DateTimeOffset? NextCaStagedAt = null,
    string? PreviousCaPem = null)
{
    /// <summary>When the staged CA was published (RFC 3339).</summary>
    public const string StagedAtAnnotation = Naming.Prefix + "next-ca-staged-at";

    /// <summary>The Secret manifest (type kubernetes.io/tls, owned by egress-tls).</summary>
    public V1Secret ToSecret(string ns, string name, string? resourceVersion = null)
    {
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["tls.crt"] = Bytes(Certificate.CertificatePem),
            ["tls.key"] = Bytes(Certificate.PrivateKeyPem),
            ["ca.crt"] = Bytes(Ca.CertificatePem),
            ["ca.key"] = Bytes(Ca.PrivateKeyPem),
        };
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal) { [CaSecretStore.RoleAnnotation] = "serving-certificate" };
        if (NextCa is not null)
        {
            data["ca-next.crt"] = Bytes(NextCa.CertificatePem);
            data["ca-next.key"] = Bytes(NextCa.PrivateKeyPem);
            annotations[StagedAtAnnotation] = (NextCaStagedAt ?? DateTimeOffset.UnixEpoch).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        if (PreviousCaPem is not null)
        {
            data["ca-previous.crt"] = Bytes(PreviousCaPem);
        }

        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                ResourceVersion = resourceVersion,
                Labels = new Dictionary<string, string> { [Naming.ManagedByLabel] = Naming.ManagedByValue },
                Annotations = annotations,
            },
            Type = "kubernetes.io/tls",
            Data = data,
        };
    }

    /// <summary>Reads the Secret; null when a required key is missing or is not PEM (the caller reports it).</summary>
    public static ServingSecret? FromSecret(V1Secret secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        string? Key(string k) => secret.Data?.TryGetValue(k, out var v) == true && v.Length > 0 ? Encoding.UTF8.GetString(v) : null;
        if (Key("tls.crt") is not { } crt || Key("tls.key") is not { } key || Key("ca.crt") is not { } caCrt || Key("ca.key") is not { } caKey)
        {
            return null;
        }

        ServingKeyPair? next = Key("ca-next.crt") is { } nc && Key("ca-next.key") is { } nk ? new ServingKeyPair(nc, nk) : null;
        DateTimeOffset? stagedAt = next is not null
            && secret.Metadata?.Annotations?.TryGetValue(StagedAtAnnotation, out var at) == true
            && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : next is null ? null : DateTimeOffset.UnixEpoch;
        return new ServingSecret(new ServingKeyPair(crt, key), new ServingKeyPair(caCrt, caKey), next, stagedAt, Key("ca-previous.crt"));
    }

    /// <summary>The planner's facts; throws <see cref="System.Security.Cryptography.CryptographicException"/> on broken PEM.</summary>
    public ServingFacts Facts(IReadOnlyCollection<string> expectedDnsNames)
    {
        ArgumentNullException.ThrowIfNull(expectedDnsNames);
        using var cert = X509Certificate2.CreateFromPem(Certificate.CertificatePem);
        using var ca = X509Certificate2.CreateFromPem(Ca.CertificatePem);
        var names = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToHashSet(StringComparer.Ordinal);
        var matches = cert.IssuerName.RawData.AsSpan().SequenceEqual(ca.SubjectName.RawData) && VerifiesWith(cert, ca) && names.SetEquals(expectedDnsNames);
        DateTimeOffset? previous = null;
        if (PreviousCaPem is not null)
        {
            using var p = X509Certificate2.CreateFromPem(PreviousCaPem);
            previous = p.NotAfter.ToUniversalTime();
        }

        return new ServingFacts(ca.NotAfter.ToUniversalTime(), cert.NotAfter.ToUniversalTime(), matches, NextCa is null ? null : NextCaStagedAt, previous);
    }

    /// <summary>The caBundle for this content at <paramref name="now"/> (current, next, previous; expired ones left out).</summary>
    public string CaBundle(DateTimeOffset now)
    {
        var list = new List<(string?, DateTimeOffset)>();
        foreach (var pem in new[] { Ca.CertificatePem, NextCa?.CertificatePem, PreviousCaPem })
        {
            if (pem is null)
            {
                continue;
            }

            using var c = X509Certificate2.CreateFromPem(pem);
            list.Add((pem, c.NotAfter.ToUniversalTime()));
        }

        return ServingCertificatePlanner.CaBundle(list, now);
    }

    private static bool VerifiesWith(X509Certificate2 cert, X509Certificate2 ca)
    {
        // A signature check, not a chain build: same subject name is not enough when the CA was replaced.
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreCtlNotTimeValid;
        return chain.Build(cert);
    }

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    /// <inheritdoc />
    public override string ToString() => "ServingSecret { (redacted) }";
}
