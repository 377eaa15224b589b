using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace EgressTls.Webhook.Admission;

/// <summary>
/// Turns request bytes into <see cref="AdmissionRequestData"/>, or a plain reason why they are not an
/// <c>admission.k8s.io/v1</c> AdmissionReview. Every malformed input ends here as a reason (HTTP 400),
/// never as an exception further down.
/// </summary>
internal static class AdmissionReviewReader
{
    /// <summary>Nesting allowed in a review; a Pod is about 12 deep, 64 is System.Text.Json's own default
    /// made explicit so hostile nesting is refused while parsing, not by a stack overflow later.</summary>
    public const int MaxDepth = 64;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>Parses and checks <paramref name="body"/>.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> body, out AdmissionRequestData? request, out string reason)
    {
        request = null;
        if (body.IsEmpty)
        {
            reason = "empty request body; expected an AdmissionReview (admission.k8s.io/v1) as JSON";
            return false;
        }

        // The reader checks UTF-8 lazily (only when a string is materialised), so check it all up front.
        if (!Utf8.IsValid(body.Span))
        {
            reason = "request body is not valid UTF-8";
            return false;
        }

        // Fast path: one JsonDocument pass extracts every field of a well-formed review (the API server's
        // only kind), keeping request.object as raw bytes. Anything it does not accept (a malformed review,
        // a surrogate escape that needs checking) goes through the checking path below, which words the reason.
        if (!MayHoldSurrogateEscape(body.Span) && TryReadFast(body, out request))
        {
            reason = "";
            return true;
        }

        return TryReadChecked(body.Span, out request, out reason);
    }

    // "\uD800".."\uDFFF" escapes are the only way JSON text can hold a lone surrogate once the bytes are valid UTF-8.
    private static bool MayHoldSurrogateEscape(ReadOnlySpan<byte> body)
    {
        var rest = body;
        int at;
        while ((at = rest.IndexOf("\\u"u8)) >= 0)
        {
            if (at + 3 < rest.Length && (rest[at + 2] is (byte)'d' or (byte)'D')
                && rest[at + 3] is (byte)'8' or (byte)'9' or (byte)'a' or (byte)'b' or (byte)'c' or (byte)'d' or (byte)'e' or (byte)'f'
                    or (byte)'A' or (byte)'B' or (byte)'C' or (byte)'D' or (byte)'E' or (byte)'F')
            {
                return true;
            }

            rest = rest[(at + 2)..];
        }

        return false;
    }

    private static bool TryReadFast(ReadOnlyMemory<byte> body, out AdmissionRequestData? request)
    {
        request = null;
        JsonDocument? document = null;
        try
        {
            // Same options as the checking path: duplicate keys, depth and syntax are refused alike.
            document = JsonDocument.Parse(body, DocumentOptions);
            if (!TryExtract(document, body, out request))
            {
                document.Dispose();
                return false;
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            document?.Dispose();
            request = null;
            return false;
        }
    }

    // On success the request data owns the document: request.object is read from it, never parsed twice.
    private static bool TryExtract(JsonDocument document, ReadOnlyMemory<byte> body, out AdmissionRequestData? request)
    {
        request = null;
        var review = document.RootElement;
        if (review.ValueKind != JsonValueKind.Object || !IsString(review, "apiVersion", "admission.k8s.io/v1") || !IsString(review, "kind", "AdmissionReview")
            || !review.TryGetProperty("request"u8, out var req) || req.ValueKind != JsonValueKind.Object
            )
        {
            return false;
        }

        if (!Required(req, "uid"u8, out var uid) || !Required(req, "operation"u8, out var operation)
            || operation is not ("CREATE" or "UPDATE" or "DELETE" or "CONNECT")
            || !req.TryGetProperty("kind"u8, out var gvk) || gvk.ValueKind != JsonValueKind.Object
            || !Optional(gvk, "group"u8, out var group) || !Required(gvk, "version"u8, out var version) || !Required(gvk, "kind"u8, out var kind)
            || !Optional(req, "subResource"u8, out var subResource) || !Optional(req, "namespace"u8, out var ns) || !Optional(req, "name"u8, out var name))
        {
            return false;
        }

        var dryRun = false;
        if (req.TryGetProperty("dryRun"u8, out var dry) && dry.ValueKind != JsonValueKind.Null)
        {
            if (dry.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return false;
            }

            dryRun = dry.GetBoolean();
        }

        if (!OptionalObject(req, "object"u8, out var obj) || !OptionalObject(req, "oldObject"u8, out var oldObj))
        {
            return false;
        }

        if (operation is "CREATE" or "UPDATE" && obj is null)
        {
            return false;
        }

        if ((obj is { } current && !IsOfKind(current, group, version, kind)) || (oldObj is { } old && !IsOfKind(old, group, version, kind)))
        {
            return false;
        }

        var generateName = "";
        if (obj is { } o && o.TryGetProperty("metadata"u8, out var metadata) && metadata.ValueKind != JsonValueKind.Null)
        {
            if (metadata.ValueKind != JsonValueKind.Object
                || !Optional(metadata, "generateName"u8, out generateName) || !Optional(metadata, "name"u8, out var metaName)
                || !Optional(metadata, "namespace"u8, out var metaNamespace))
            {
                return false;
            }

            name = name.Length > 0 ? name : metaName;
            ns = ns.Length > 0 ? ns : metaNamespace;
        }

        request = new AdmissionRequestData(uid, group, version, kind, subResource, operation, ns, name, generateName,
            Raw(obj, body), Raw(oldObj, body), dryRun, document, obj, oldObj);
        return true;
    }

    // Whether an object is of the kind request.kind names: the API server sends the object as that kind (converted
    // to the version the webhook registered for, with matchPolicy Equivalent), so request.kind and the object's own
    // apiVersion and kind always agree. A review where they do not is refused rather than decided: the handler
    // and the memo go by request.kind, Render by the object.
    private static bool IsOfKind(JsonElement obj, string group, string version, string kind) =>
        obj.TryGetProperty("kind"u8, out var objectKind) && objectKind.ValueKind == JsonValueKind.String && objectKind.ValueEquals(kind)
        && obj.TryGetProperty("apiVersion"u8, out var apiVersion) && apiVersion.ValueKind == JsonValueKind.String && IsApiVersion(apiVersion, group, version);

    // Whether a string element is `group/version` (`version` for the core group), compared without making either string.
    private static bool IsApiVersion(JsonElement apiVersion, string group, string version)
    {
        if (group.Length == 0)
        {
            return apiVersion.ValueEquals(version);
        }

        var length = group.Length + 1 + version.Length;
        if (length > 256)
        {
            return apiVersion.ValueEquals(group + "/" + version);
        }

        Span<char> expected = stackalloc char[length];
        group.CopyTo(expected);
        expected[group.Length] = '/';
        version.CopyTo(expected[(group.Length + 1)..]);
        return apiVersion.ValueEquals(expected);
    }

    // The element's bytes: a slice of the body (no copy), so the request data lives no longer than the body.
    private static ReadOnlyMemory<byte> Raw(JsonElement? element, ReadOnlyMemory<byte> body)
    {
        if (element is not { } e)
        {
            return default;
        }

        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(e);
        return body.Span.Overlaps(raw, out var offset) ? body.Slice(offset, raw.Length) : raw.ToArray();
    }

    private static bool IsString(JsonElement parent, string key, string expected) =>
        parent.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String && value.ValueEquals(expected);

    private static bool Required(JsonElement parent, ReadOnlySpan<byte> key, out string value)
    {
        value = "";
        if (!parent.TryGetProperty(key, out var element) || element.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        value = element.GetString()!;
        return value.Length > 0;
    }

    private static bool Optional(JsonElement parent, ReadOnlySpan<byte> key, out string value)
    {
        value = "";
        if (!parent.TryGetProperty(key, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        value = element.GetString()!;
        return true;
    }

    private static bool OptionalObject(JsonElement parent, ReadOnlySpan<byte> key, out JsonElement? value)
    {
        value = null;
        if (!parent.TryGetProperty(key, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        value = element;
        return true;
    }

    // The checking path: a DOM of the whole review, every problem worded with its path.
    private static bool TryReadChecked(ReadOnlySpan<byte> body, out AdmissionRequestData? request, out string reason)
    {
        request = null;
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, documentOptions: DocumentOptions);
        }
        catch (JsonException ex)
        {
            reason = $"request body is not valid JSON: {Describe(ex)}";
            return false;
        }

        // "\ud800" is valid JSON but no Unicode text: kube-apiserver (Go) never sends one (it decodes it to
        // U+FFFD), and writing it back in a denial or patch makes System.Text.Json throw, which was a 500.
        string? where;
        try
        {
            where = FindUnpairedSurrogate(root);
        }
        catch (InvalidOperationException)
        {
            where = "a key";
        }

        if (where is not null)
        {
            reason = $"request body is not valid Unicode: {where} holds an unpaired UTF-16 surrogate escape; expected UTF-8 text";
            return false;
        }

        try
        {
            return TryReadReview(root, out request, out reason);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException or JsonException)
        {
            // A value of an unexpected JSON type reached a typed accessor: still the caller's malformed input.
            reason = $"malformed AdmissionReview: {ex.Message}";
            return false;
        }
    }

    private static string? FindUnpairedSurrogate(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (!IsWellFormed(key))
                    {
                        return $"a key in {obj.GetPath()}";
                    }

                    if (FindUnpairedSurrogate(value) is { } where)
                    {
                        return where;
                    }
                }

                return null;
            case JsonArray array:
                return array.Select(FindUnpairedSurrogate).FirstOrDefault(w => w is not null);
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                try
                {
                    return IsWellFormed(value.GetValue<string>()) ? null : value.GetPath();
                }
                catch (InvalidOperationException)
                {
                    // The parsed node refuses to materialise it ("Cannot read invalid UTF-16 JSON text as string").
                    return value.GetPath();
                }

            default:
                return null;
        }
    }

    private static bool IsWellFormed(string text) => !text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') || IsPaired(text);

    private static bool IsPaired(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryReadReview(JsonNode? root, out AdmissionRequestData? request, out string reason)
    {
        request = null;
        if (root is not JsonObject review)
        {
            reason = $"expected a JSON object (AdmissionReview), found {KindOf(root)}";
            return false;
        }

        var apiVersion = StringOrNull(review["apiVersion"]);
        var kind = StringOrNull(review["kind"]);
        if (apiVersion != "admission.k8s.io/v1" || kind != "AdmissionReview")
        {
            reason = $"expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, found apiVersion {Quote(apiVersion)} and kind {Quote(kind)}"
                + (apiVersion == "admission.k8s.io/v1beta1" ? " (configure the webhook with admissionReviewVersions: [v1])" : "");
            return false;
        }

        if (review["request"] is not JsonObject req)
        {
            reason = $"request: expected an object, found {KindOf(review["request"])}";
            return false;
        }

        var errors = new List<string>();
        var uid = RequiredString(req, "uid", errors);
        var operation = RequiredString(req, "operation", errors);
        if (operation.Length > 0 && operation is not ("CREATE" or "UPDATE" or "DELETE" or "CONNECT"))
        {
            errors.Add($"request.operation: {Quote(operation)}; expected CREATE, UPDATE, DELETE or CONNECT");
        }

        string group = "", version = "", objectKind = "";
        if (req["kind"] is JsonObject gvk)
        {
            group = OptionalString(gvk, "group", "request.kind.group", errors);
            version = RequiredString(gvk, "version", errors, "request.kind.version");
            objectKind = RequiredString(gvk, "kind", errors, "request.kind.kind");
        }
        else
        {
            errors.Add($"request.kind: expected an object {{group, version, kind}}, found {KindOf(req["kind"])}");
        }

        var subResource = OptionalString(req, "subResource", "request.subResource", errors);
        var ns = OptionalString(req, "namespace", "request.namespace", errors);
        var name = OptionalString(req, "name", "request.name", errors);
        var dryRun = false;
        switch (req["dryRun"])
        {
            case null:
                break;
            case JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                dryRun = v.GetValue<bool>();
                break;
            default:
                errors.Add($"request.dryRun: expected true or false, found {KindOf(req["dryRun"])}");
                break;
        }

        var obj = OptionalObject(req, "object", errors);
        var oldObj = OptionalObject(req, "oldObject", errors);
        if (operation is "CREATE" or "UPDATE" && obj is null && !errors.Any(e => e.StartsWith("request.object", StringComparison.Ordinal)))
        {
            errors.Add($"request.object: required for {operation}");
        }

        if (objectKind.Length > 0 && version.Length > 0)
        {
            CheckKind(obj, "request.object", group, version, objectKind, errors);
            CheckKind(oldObj, "request.oldObject", group, version, objectKind, errors);
        }

        var generateName = "";
        if (obj is not null)
        {
            if (obj["metadata"] is not (null or JsonObject))
            {
                errors.Add($"request.object.metadata: expected an object, found {KindOf(obj["metadata"])}");
            }
            else if (obj["metadata"] is JsonObject metadata)
            {
                generateName = OptionalString(metadata, "generateName", "request.object.metadata.generateName", errors);
                var metaName = OptionalString(metadata, "name", "request.object.metadata.name", errors);
                var metaNamespace = OptionalString(metadata, "namespace", "request.object.metadata.namespace", errors);
                name = name.Length > 0 ? name : metaName;
                ns = ns.Length > 0 ? ns : metaNamespace;
            }
        }

        if (errors.Count > 0)
        {
            reason = "malformed AdmissionReview: " + string.Join("; ", errors);
            return false;
        }

        request = new AdmissionRequestData(uid, group, version, objectKind, subResource, operation, ns, name, generateName, obj, oldObj, dryRun);
        reason = "";
        return true;
    }

    // The same check as IsOfKind, worded: an object of another kind than request.kind names (see IsOfKind).
    private static void CheckKind(JsonObject? obj, string field, string group, string version, string kind, List<string> errors)
    {
        var expected = group.Length == 0 ? version : $"{group}/{version}";
        var (apiVersion, objectKind) = (StringOrNull(obj?["apiVersion"]), StringOrNull(obj?["kind"]));
        if (obj is not null && (apiVersion != expected || objectKind != kind))
        {
            errors.Add($"{field}: apiVersion {Quote(apiVersion)} and kind {Quote(objectKind)}; expected those request.kind names, apiVersion {Quote(expected)} and kind {Quote(kind)}");
        }
    }

    private static string RequiredString(JsonObject parent, string key, List<string> errors, string? field = null)
    {
        field ??= $"request.{key}";
        var node = parent[key];
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { Length: > 0 } text)
        {
            return text;
        }

        errors.Add($"{field}: expected a non-empty string, found {KindOf(node)}");
        return "";
    }

    private static string OptionalString(JsonObject parent, string key, string field, List<string> errors)
    {
        var node = parent[key];
        if (node is null)
        {
            return "";
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            return value.GetValue<string>();
        }

        errors.Add($"{field}: expected a string, found {KindOf(node)}");
        return "";
    }

    private static JsonObject? OptionalObject(JsonObject parent, string key, List<string> errors)
    {
        var node = parent[key];
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                return obj;
            default:
                errors.Add($"request.{key}: expected an object, found {KindOf(node)}");
                return null;
        }
    }

    private static string? StringOrNull(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static string KindOf(JsonNode? node) => node switch
    {
        null => "nothing",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        },
        _ => "an unknown value",
    };

    // Values from the request are shown shortened: the reason goes to logs and to the API server.
    private static string Quote(string? value) =>
        value is null ? "(none)" : "\"" + (value.Length > 60 ? value[..60] + "..." : value) + "\"";

    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        message = cut > 0 ? message[..cut] : message;
        return ex.BytePositionInLine is { } position && ex.LineNumber is { } line
            ? $"{message.TrimEnd('.')} (line {line + 1}, byte {position + 1})"
            : message;
    }
}
