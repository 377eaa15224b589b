using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core.Patching;

namespace EgressTls.Webhook.Admission;

/// <summary>Builds the <c>AdmissionReview</c> response JSON.</summary>
internal static class AdmissionResponseWriter
{
    /// <summary>Kubernetes recommends warnings of at most 120 characters; longer ones may be truncated by the API server.</summary>
    public const int MaxWarningLength = 120;

    /// <summary>The response for <paramref name="uid"/>.</summary>
    public static JsonObject Build(string uid, AdmissionOutcome outcome)
    {
        var response = new JsonObject
        {
            ["uid"] = uid,
            ["allowed"] = outcome.Allowed,
        };
        if (outcome.Allowed && !outcome.Patch.IsEmpty)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(PatchJson(outcome.Patch)));
        }

        if (!outcome.Allowed)
        {
            var code = outcome.StatusCode ?? 403;
            response["status"] = new JsonObject
            {
                ["status"] = "Failure",
                ["message"] = outcome.Message ?? "denied by egress-tls",
                ["reason"] = code == 403 ? "Forbidden" : "ServiceUnavailable",
                ["code"] = code,
            };
        }

        var warnings = Warnings(outcome.Warnings);
        if (!warnings.IsEmpty)
        {
            response["warnings"] = new JsonArray([.. warnings.Select(w => (JsonNode)JsonValue.Create(w))]);
        }

        return new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["response"] = response,
        };
    }

    /// <summary>The patch as an RFC 6902 JSON array.</summary>
    public static string PatchJson(ImmutableArray<PatchOperation> patch)
    {
        var array = new JsonArray();
        foreach (var op in patch)
        {
            var item = new JsonObject { ["op"] = op.Op, ["path"] = op.Path };
            if (op.Value is not null || op.Op is "add" or "replace" or "test")
            {
                item["value"] = op.Value?.DeepClone();
            }

            array.Add(item);
        }

        return array.ToJsonString();
    }

    /// <summary>
    /// Warnings made fit for an HTTP <c>Warning</c> header: control characters become spaces, and each is
    /// cut to <see cref="MaxWarningLength"/> characters on a text-element boundary (never half a surrogate
    /// pair), ending in "...".
    /// </summary>
    public static ImmutableArray<string> Warnings(ImmutableArray<string> warnings)
    {
        if (warnings.IsDefaultOrEmpty)
        {
            return [];
        }

        var result = ImmutableArray.CreateBuilder<string>(warnings.Length);
        foreach (var warning in warnings)
        {
            var clean = new string([.. warning.Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
            if (clean.Length == 0)
            {
                continue;
            }

            result.Add(Truncate(clean, MaxWarningLength));
        }

        return result.ToImmutable();
    }

    private static string Truncate(string text, int max)
    {
        if (new StringInfo(text).LengthInTextElements <= max && text.Length <= max)
        {
            return text;
        }

        var builder = new StringBuilder();
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            var element = elements.GetTextElement();
            if (builder.Length + element.Length > max - 3)
            {
                break;
            }

            builder.Append(element);
        }

        return builder.ToString().TrimEnd() + "...";
    }
}
