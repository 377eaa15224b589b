using System.Text.Json;
using EgressTls.LoadBench.Workload;

namespace EgressTls.LoadBench.Load;

/// <summary>
/// Decides whether an answer is correct for its request: HTTP 200, an <c>admission.k8s.io/v1</c>
/// AdmissionReview whose response carries the request's uid, <c>allowed: true</c>, and a patch exactly
/// when the body calls for one (a JSONPatch: base64 of a non-empty JSON array of operations).
/// </summary>
public static class ResponseCheck
{
    /// <summary>Null when correct, else why not.</summary>
    /// <param name="decodePatch">Also decode the patch and check its operations (costs client CPU; done on a sample).</param>
    public static string? Problem(int status, ReadOnlySpan<byte> body, string uid, PatchExpectation expectation, bool decodePatch)
    {
        if (status != 200)
        {
            return $"HTTP {status}: {Shorten(System.Text.Encoding.UTF8.GetString(body))}";
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (!Is(root, "apiVersion", "admission.k8s.io/v1") || !Is(root, "kind", "AdmissionReview"))
            {
                return "not an admission.k8s.io/v1 AdmissionReview";
            }

            if (!root.TryGetProperty("response", out var response) || response.ValueKind != JsonValueKind.Object)
            {
                return "no response object";
            }

            if (!Is(response, "uid", uid))
            {
                return $"response.uid is not the request's {uid}";
            }

            if (!response.TryGetProperty("allowed", out var allowed) || allowed.ValueKind != JsonValueKind.True)
            {
                var message = response.TryGetProperty("status", out var s) && s.TryGetProperty("message", out var m) ? m.GetString() : null;
                return $"not allowed: {Shorten(message ?? "(no status message)")}";
            }

            var hasPatch = response.TryGetProperty("patch", out var patch);
            switch (expectation)
            {
                case PatchExpectation.Patch when !hasPatch:
                    return "no patch where one was expected";
                case PatchExpectation.NoPatch when hasPatch:
                    return "a patch where none was expected";
            }

            if (hasPatch)
            {
                if (!Is(response, "patchType", "JSONPatch"))
                {
                    return "patch without patchType JSONPatch";
                }

                if (decodePatch)
                {
                    using var operations = JsonDocument.Parse(Convert.FromBase64String(patch.GetString() ?? ""));
                    if (operations.RootElement.ValueKind != JsonValueKind.Array || operations.RootElement.GetArrayLength() == 0)
                    {
                        return "patch is not a non-empty JSON array";
                    }

                    foreach (var op in operations.RootElement.EnumerateArray())
                    {
                        if (!op.TryGetProperty("op", out _) || !op.TryGetProperty("path", out _))
                        {
                            return "patch operation without op or path";
                        }
                    }
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return $"malformed answer: {ex.Message}";
        }
    }

    private static bool Is(JsonElement element, string property, string expected) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.ValueEquals(expected);

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "..." : text.Trim();
}
