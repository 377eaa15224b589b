using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Pki;
using k8s.Models;

namespace EgressTls.Kubernetes;

/// <summary>
/// How <see cref="CaState"/> is kept in the CA Secret (type kubernetes.io/tls, webhook namespace only).
/// <c>tls.crt</c>/<c>tls.key</c> stay the active CA, so a Secret written before rotation existed reads as a
/// state with one CA; <c>next.crt</c>/<c>next.key</c> hold the waiting CA, <c>retiring.crt</c> the anchors of
/// retired CAs, and the annotation <see cref="RotationAnnotation"/> the timeline (no key material). Pure.
/// </summary>
public static class CaStateSecret
{
    /// <summary>The timeline: when the active and next CAs were published, until when each retiring CA stays.</summary>
    public const string RotationAnnotation = Naming.Prefix + "ca-rotation";

    /// <summary>Set it to a new value (e.g. a timestamp) to ask for a new CA (generate mode): <c>kubectl annotate secret egress-tls-ca egress-tls.io/rotate=$(date +%s) --overwrite</c>.</summary>
    public const string RotateAnnotation = Naming.Prefix + "rotate";

    /// <summary>Reads the state; throws <see cref="CaStoreException"/> naming the key and the expected form.</summary>
    public static CaState Read(V1Secret secret, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(time);
        var where = $"CA Secret {secret.Metadata?.NamespaceProperty}/{secret.Metadata?.Name}";
        var timeline = ReadTimeline(secret, where);

        var active = Authority(secret, "tls.crt", "tls.key", where, time)
                     ?? throw new CaStoreException($"{where} has no tls.crt and tls.key; expected the PEM CA certificate and its private key");
        var activePublished = Date(timeline, "activePublishedAt", where)
                              ?? (secret.Metadata?.CreationTimestamp is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : DateTimeOffset.UnixEpoch);

        var next = Authority(secret, "next.crt", "next.key", where, time);
        RotationEntry? nextEntry = null;
        if (next is not null)
        {
            var published = Date(timeline, "nextPublishedAt", where)
                            ?? throw new CaStoreException($"{where}: next.crt is present but annotation {RotationAnnotation} has no nextPublishedAt (RFC 3339 time)");
            nextEntry = RotationEntry.For(next, published);
        }

        var anchors = Pem.DecodeCertificates(Text(secret, "retiring.crt"), out var unreadable);
        if (unreadable > 0)
        {
            throw new CaStoreException($"{where}: retiring.crt has {unreadable} unreadable CERTIFICATE block(s); expected PEM certificates");
        }

        var byFingerprint = anchors.ToDictionary(CertificateFingerprint.Of, StringComparer.Ordinal);
        var retiring = ImmutableArray.CreateBuilder<RotationEntry>();
        foreach (var item in timeline?["retiring"] as JsonArray ?? [])
        {
            var ca = (string?)item?["fingerprint"];
            var anchor = (string?)item?["anchor"];
            var until = Date(item as JsonObject, "until", where);
            if (ca is null || anchor is null || until is null || !byFingerprint.TryGetValue(anchor, out var cert))
            {
                throw new CaStoreException($"{where}: annotation {RotationAnnotation} lists a retiring CA without fingerprint, anchor and until, or whose anchor is not in retiring.crt");
            }

            retiring.Add(new RotationEntry(ca, cert, DateTimeOffset.UnixEpoch, until));
        }

        var rotation = new CaRotation(RotationEntry.For(active, activePublished), nextEntry, retiring.ToImmutable());
        return new CaState(active, next, rotation, (string?)timeline?["handledRotateRequest"], secret.Metadata?.ResourceVersion);
    }

    /// <summary>A copy of <paramref name="secret"/> holding <paramref name="state"/> (other labels and annotations
    /// kept; the resourceVersion it was read at kept, so the update fails with 409 if someone wrote in between).</summary>
    public static V1Secret Write(V1Secret secret, CaState state)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(state);
        var active = state.Active.ToSecretData();
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["tls.crt"] = Encoding.UTF8.GetBytes(active.TlsCrt),
            ["tls.key"] = Encoding.UTF8.GetBytes(active.TlsKey),
        };
        if (state.Next is { } next)
        {
            var n = next.ToSecretData();
            data["next.crt"] = Encoding.UTF8.GetBytes(n.TlsCrt);
            data["next.key"] = Encoding.UTF8.GetBytes(n.TlsKey);
        }

        var retiring = state.Rotation.Retiring;
        if (!retiring.IsEmpty)
        {
            data["retiring.crt"] = Encoding.UTF8.GetBytes(Pem.EncodeCertificates(retiring.Select(r => r.TrustAnchor).DistinctBy(CertificateFingerprint.Of)));
        }

        var timeline = new JsonObject
        {
            ["activePublishedAt"] = Stamp(state.Rotation.Active.PublishedAt),
            ["nextPublishedAt"] = state.Rotation.Next is { } ne ? Stamp(ne.PublishedAt) : null,
            ["retiring"] = new JsonArray(retiring.Select(r => (JsonNode)new JsonObject
            {
                ["fingerprint"] = r.CaFingerprint,
                ["anchor"] = CertificateFingerprint.Of(r.TrustAnchor),
                ["until"] = Stamp(r.LastLeafNotAfter ?? DateTimeOffset.UnixEpoch),
            }).ToArray()),
            ["handledRotateRequest"] = state.HandledRequest,
        };

        var annotations = new Dictionary<string, string>(secret.Metadata?.Annotations ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [RotationAnnotation] = timeline.ToJsonString(),
        };
        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta
            {
                Name = secret.Metadata?.Name,
                NamespaceProperty = secret.Metadata?.NamespaceProperty,
                ResourceVersion = state.ResourceVersion ?? secret.Metadata?.ResourceVersion,
                Labels = secret.Metadata?.Labels,
                Annotations = annotations,
            },
            Type = "kubernetes.io/tls",
            Data = data,
        };
    }

    /// <summary>The value of <see cref="RotateAnnotation"/>, if set.</summary>
    public static string? RotateRequest(V1Secret secret) =>
        secret?.Metadata?.Annotations?.TryGetValue(RotateAnnotation, out var v) == true && !string.IsNullOrWhiteSpace(v) ? v : null;

    private static JsonObject? ReadTimeline(V1Secret secret, string where)
    {
        if (secret.Metadata?.Annotations?.TryGetValue(RotationAnnotation, out var text) != true || string.IsNullOrEmpty(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new CaStoreException($"{where}: annotation {RotationAnnotation} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new CaStoreException($"{where}: annotation {RotationAnnotation} is not valid JSON ({e.Message})", e);
        }
    }

    private static CertificateAuthority? Authority(V1Secret secret, string crtKey, string keyKey, string where, TimeProvider time)
    {
        var crt = Text(secret, crtKey);
        var key = Text(secret, keyKey);
        if (crt is null && key is null)
        {
            return null;
        }

        // Validity is the planner's business: an expired active CA must still load so that it can be replaced.
        var import = CertificateAuthority.Import(crt, key, null, time, requireValidNow: false);
        return import.Succeeded
            ? import.Authority
            : throw new CaStoreException($"{where}: {crtKey}/{keyKey} is not a usable CA: " + string.Join("; ", import.Errors));
    }

    private static string? Text(V1Secret secret, string key) =>
        secret.Data?.TryGetValue(key, out var v) == true && v.Length > 0 ? Encoding.UTF8.GetString(v) : null;

    private static DateTimeOffset? Date(JsonObject? o, string name, string where)
    {
        var text = (string?)o?[name];
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw new CaStoreException($"{where}: annotation {RotationAnnotation} field {name} is \"{text}\"; expected an RFC 3339 time");
    }

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
