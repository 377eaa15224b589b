using System.Buffers;
using System.Buffers.Text;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Patching;

namespace EgressTls.Webhook.Admission;

/// <summary>Builds the <c>AdmissionReview</c> response JSON.</summary>
internal static class AdmissionResponseWriter
{
    /// <summary>Kubernetes recommends warnings of at most 120 characters; longer ones may be truncated by the API server.</summary>
    public const int MaxWarningLength = 120;

    // What JsonNode.ToJsonString wrote before: the default encoder, compact.
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };

    /// <summary>The response for <paramref name="uid"/> as a node (what <see cref="Write"/> writes).</summary>
    public static JsonObject Build(string uid, AdmissionOutcome outcome)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, uid, outcome);
        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }

    /// <summary>
    /// Writes the response for <paramref name="uid"/> straight as UTF-8 JSON: apiVersion, kind, then
    /// response {uid, allowed, patchType and patch when allowed with a patch, status when denied, warnings}.
    /// </summary>
    public static void Write(IBufferWriter<byte> output, string uid, AdmissionOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("apiVersion"u8, "admission.k8s.io/v1"u8);
        writer.WriteString("kind"u8, "AdmissionReview"u8);
        writer.WriteStartObject("response"u8);
        writer.WriteString("uid"u8, uid);
        writer.WriteBoolean("allowed"u8, outcome.Allowed);
        if (outcome.Allowed && !outcome.Patch.IsEmpty)
        {
            writer.WriteString("patchType"u8, "JSONPatch"u8);
            writer.WritePropertyName("patch"u8);
            if (outcome.EncodedPatch is { } encoded)
            {
                writer.WriteRawValue(encoded, skipInputValidation: true);
            }
            else
            {
                WritePatchLiteral(writer, outcome.Patch);
            }
        }

        if (!outcome.Allowed)
        {
            var code = outcome.StatusCode ?? 403;
            writer.WriteStartObject("status"u8);
            writer.WriteString("status"u8, "Failure"u8);
            writer.WriteString("message"u8, outcome.Message ?? "denied by egress-tls");
            writer.WriteString("reason"u8, code == 403 ? "Forbidden"u8 : "ServiceUnavailable"u8);
            writer.WriteNumber("code"u8, code);
            writer.WriteEndObject();
        }

        var warnings = outcome.SentWarnings.IsDefault ? Warnings(outcome.Warnings) : outcome.SentWarnings;
        if (!warnings.IsEmpty)
        {
            writer.WriteStartArray("warnings"u8);
            foreach (var warning in warnings)
            {
                writer.WriteStringValue(warning);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>response.patch for <paramref name="patch"/>: the JSON string literal (quoted) of the base64 of
    /// <see cref="PatchJson"/>'s bytes (kept by a remembered decision, written many times).</summary>
    public static byte[] EncodePatch(ImmutableArray<PatchOperation> patch)
    {
        var literal = RentLiteral(patch, out var length);
        try
        {
            return literal.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(literal);
        }
    }

    private static void WritePatchLiteral(Utf8JsonWriter writer, ImmutableArray<PatchOperation> patch)
    {
        var literal = RentLiteral(patch, out var length);
        try
        {
            writer.WriteRawValue(literal.AsSpan(0, length), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(literal);
        }
    }

    // The patch JSON's base64 between quotes, in an array rented from the shared pool (the caller returns it). The
    // JSON goes through a per-thread buffer: an answer written once (a decision not remembered) allocates nothing
    // for its patch (growing fresh buffers cost several times the patch size on every cold admission).
    // Base64's alphabet needs no JSON escaping, so the literal is used as is: a JSON writer's escaping would spell
    // every '+' as \u002B, and scan the whole value to find them.
    private static byte[] RentLiteral(ImmutableArray<PatchOperation> patch, out int length)
    {
        var json = PatchBuffer ??= new ArrayBufferWriter<byte>(16 * 1024);
        json.ResetWrittenCount();
        try
        {
            WritePatch(json, patch);
            var literal = ArrayPool<byte>.Shared.Rent(Base64.GetMaxEncodedToUtf8Length(json.WrittenCount) + 2);
            literal[0] = (byte)'"';
            Base64.EncodeToUtf8(json.WrittenSpan, literal.AsSpan(1), out _, out var written);
            literal[written + 1] = (byte)'"';
            length = written + 2;
            return literal;
        }
        finally
        {
            // A rare huge patch does not keep its buffer for the thread's lifetime.
            if (json.Capacity > MaxKeptBuffer)
            {
                PatchBuffer = null;
            }
        }
    }

    /// <summary>The patch as an RFC 6902 JSON array.</summary>
    public static string PatchJson(ImmutableArray<PatchOperation> patch)
    {
        var json = new ArrayBufferWriter<byte>(1024);
        WritePatch(json, patch);
        return Encoding.UTF8.GetString(json.WrittenSpan);
    }

    private static void WritePatch(IBufferWriter<byte> output, ImmutableArray<PatchOperation> patch)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartArray();
        foreach (var op in patch)
        {
            writer.WriteStartObject();
            writer.WriteString("op"u8, op.Op);
            writer.WriteString("path"u8, op.Path);
            if (!op.EncodedValue.IsEmpty)
            {
                writer.WritePropertyName("value"u8);
                writer.WriteRawValue(op.EncodedValue.Span, skipInputValidation: true);
            }
            else if (op.Value is not null)
            {
                writer.WritePropertyName("value"u8);
                op.Value.WriteTo(writer);
            }
            else if (op.Op is "add" or "replace" or "test")
            {
                writer.WriteNull("value"u8);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private const int MaxKeptBuffer = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? PatchBuffer;

    // char.IsControl: U+0000-U+001F and U+007F-U+009F.
    private static readonly SearchValues<char> ControlCharacters = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(c => (char)c), .. Enumerable.Range(0x7F, 0x21).Select(c => (char)c)]);

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
            // Most warnings have no control characters: only those are copied (every admission sends a few).
            var clean = (warning.AsSpan().IndexOfAny(ControlCharacters) < 0 ? warning : string.Create(warning.Length, warning, static (span, text) =>
            {
                for (var i = 0; i < text.Length; i++)
                {
                    span[i] = char.IsControl(text[i]) ? ' ' : text[i];
                }
            })).Trim();
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
        // A text has at most as many text elements as chars: the length alone decides for most warnings.
        if (text.Length <= max)
        {
            return text;
        }

        // ASCII up to and including the first dropped char: every char there is a text element of its own
        // (control characters were replaced above, so no CR LF pair), the common case.
        if (Ascii.IsValid(text.AsSpan(0, max - 2)))
        {
            return string.Concat(text.AsSpan(0, max - 3).TrimEnd(), "...");
        }

        // Otherwise walks text elements by length only up to the cut (no string per element).
        var kept = 0;
        while (kept < text.Length)
        {
            var next = StringInfo.GetNextTextElementLength(text.AsSpan(kept));
            if (kept + next > max - 3)
            {
                break;
            }

            kept += next;
        }

        return string.Concat(text.AsSpan(0, kept).TrimEnd(), "...");
    }
}
