using System.Globalization;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes;

/// <summary>
/// cert-manager mode (as in the Helm PoC seed): the cert-manager <c>Certificate</c> that stands
/// in for a leaf egress-tls would otherwise issue. cert-manager writes its own Secret (with a <c>ca.crt</c>
/// key), and egress-tls copies only <c>tls.crt</c>/<c>tls.key</c> into the Secret the policy names, because a
/// <c>ca.crt</c> in a terminatingTLS Secret makes Envoy demand client certificates from pods (Cilium #31761).
/// </summary>
public static class CertManagerCertificates
{
    /// <summary>Name of the Secret cert-manager writes for the leaf Secret <paramref name="leafSecretName"/>.</summary>
    public static string IssuedSecretName(string leafSecretName) => leafSecretName + "-cm";

    /// <summary>
    /// The Certificate for <paramref name="leafSecret"/>: same name, labels copied, always in the webhook namespace
    /// <paramref name="certificateNamespace"/> (where the chart grants cert-manager.io access; in inline mode the
    /// leaf Secret itself lives in Cilium's policy secrets namespace and receives a copy).
    /// </summary>
    public static JsonObject Build(GeneratedObject leafSecret, LeafCertificateContent content, CertManagerIssuer issuer,
        string certificateNamespace, TimeSpan duration, TimeSpan renewBefore)
    {
        var labels = leafSecret.Manifest["metadata"]?["labels"]?.DeepClone() as JsonObject ?? new JsonObject();
        labels[Naming.ManagedByLabel] = Naming.ManagedByValue;
        var spec = new JsonObject
        {
            ["secretName"] = IssuedSecretName(leafSecret.Name),
            // cert-manager refuses a commonName over 64 characters (ub-common-name, RFC 5280 A.1); clients match the
            // dnsNames, so a longer first name is simply not repeated as the CN.
            ["commonName"] = content.DnsNames.FirstOrDefault() is { Length: <= 64 } cn ? cn : null,
            ["dnsNames"] = new JsonArray([.. content.DnsNames.Select(n => (JsonNode?)n)]),
            ["duration"] = GoDuration(duration),
            ["renewBefore"] = GoDuration(renewBefore),
            ["usages"] = new JsonArray("server auth", "digital signature", "key encipherment"),
            ["privateKey"] = new JsonObject { ["algorithm"] = "ECDSA", ["size"] = 256, ["rotationPolicy"] = "Always" },
            ["issuerRef"] = new JsonObject { ["group"] = "cert-manager.io", ["kind"] = issuer.Kind, ["name"] = issuer.Name },
            // Labels on the Secret cert-manager writes, so egress-tls finds its issued Secrets (the issuer's CA
            // for trust bundles after a restart) and the reconciler can garbage-collect them.
            ["secretTemplate"] = new JsonObject { ["labels"] = new JsonObject { [Naming.ManagedByLabel] = Naming.ManagedByValue } },
        };
        if (content.IpAddresses.Length > 0)
        {
            spec["ipAddresses"] = new JsonArray([.. content.IpAddresses.Select(n => (JsonNode?)n)]);
        }

        if (spec["commonName"] is null)
        {
            spec.Remove("commonName");
        }

        return new JsonObject
        {
            ["apiVersion"] = "cert-manager.io/v1",
            ["kind"] = "Certificate",
            ["metadata"] = new JsonObject
            {
                ["name"] = leafSecret.Name,
                ["namespace"] = certificateNamespace,
                ["labels"] = labels,
            },
            ["spec"] = spec,
        };
    }

    /// <summary>A Go duration string (<c>8760h</c>, <c>90m</c>, <c>45s</c>).</summary>
    public static string GoDuration(TimeSpan value) =>
        value.Ticks % TimeSpan.TicksPerHour == 0 ? ((long)value.TotalHours).ToString(CultureInfo.InvariantCulture) + "h"
        : value.Ticks % TimeSpan.TicksPerMinute == 0 ? ((long)value.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m"
        : ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
}
