using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Pki;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>
/// Why a desired object must be applied again, decided from what the cluster holds, pure: it is missing; its
/// content hash differs (its manifest, what fills it, or the CA / public roots changed); its manifest was edited
/// (every field egress-tls sets must be present with the same value: server-side apply with force restores
/// exactly those, fields others add are theirs); its data differs from what it must hold (a copied Secret
/// whose source changed, a trust bundle or public roots Secret edited); or its leaf certificate is due for
/// renewal (now at or after notAfter - renewBefore) or unreadable.
/// </summary>
public static class DriftCheck
{
    /// <summary>The reason to re-apply, or null when <paramref name="live"/> is what is desired.</summary>
    /// <param name="desired">The desired object.</param>
    /// <param name="desiredHash">Its content hash under the current material.</param>
    /// <param name="live">The live object, or null when it does not exist.</param>
    /// <param name="expectedData">For Secrets and ConfigMaps whose data is known up front: the data it must hold
    /// (Secret values base64 as stored, ConfigMap values as text); null when unknown (not checked).</param>
    /// <param name="leafPolicy">Leaf renewal policy, or null when leaves are renewed elsewhere (cert-manager).</param>
    /// <param name="now">The current time.</param>
    public static string? Reason(GeneratedObject desired, string desiredHash, LiveState? live, IReadOnlyDictionary<string, string>? expectedData, RenewalPolicy? leafPolicy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(desired);
        if (live is null)
        {
            return "missing";
        }

        if (live.ContentHashValue != desiredHash)
        {
            return "content changed";
        }

        foreach (var (field, value) in desired.Manifest)
        {
            if (field is "apiVersion" or "kind")
            {
                continue;
            }

            if (field == "metadata")
            {
                if (!Contains(live.Manifest["metadata"]?["labels"], value?["labels"]) || !Contains(live.Manifest["metadata"]?["annotations"], value?["annotations"]))
                {
                    return "metadata edited";
                }

                continue;
            }

            if (!Contains(live.Manifest[field], value))
            {
                return $"{field} edited";
            }
        }

        if (expectedData is not null)
        {
            var data = live.Manifest["data"] as JsonObject;
            foreach (var (k, v) in expectedData)
            {
                if ((string?)data?[k] != v)
                {
                    return "data differs";
                }
            }
        }

        if (desired.Content is LeafCertificateContent && leafPolicy is not null)
        {
            var notAfter = LeafNotAfter(live);
            if (notAfter is null)
            {
                return "leaf unreadable";
            }

            if (leafPolicy.NeedsRenewal(notAfter.Value, now))
            {
                return "leaf due for renewal";
            }
        }

        return null;
    }

    /// <summary>The notAfter of the first certificate in a live Secret's <c>tls.crt</c>, or null.</summary>
    public static DateTimeOffset? LeafNotAfter(LiveState live)
    {
        ArgumentNullException.ThrowIfNull(live);
        if (live.Manifest["data"]?["tls.crt"] is not JsonValue v || !v.TryGetValue<string>(out var b64))
        {
            return null;
        }

        try
        {
            using var cert = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(Convert.FromBase64String(b64)));
            return new DateTimeOffset(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    // True when every field of expected is in actual with an equal value (objects: recursively; arrays and
    // scalars: equal), so defaults and other managers' fields never count as drift.
    private static bool Contains(JsonNode? actual, JsonNode? expected) => expected switch
    {
        null => true,
        JsonObject e => actual is JsonObject a && e.All(p => Contains(a[p.Key], p.Value)),
        _ => JsonNode.DeepEquals(actual, expected),
    };
}
