using System.Text.Json;
using System.Text.Json.Nodes;

namespace EgressTls.Webhook.Admission;

/// <summary>
/// The parts of an <c>AdmissionReview.request</c> egress-tls uses, checked for shape. <c>object</c> and
/// <c>oldObject</c> are kept as their UTF-8 JSON and turned into nodes only when asked for: a decision
/// found in <see cref="AdmissionMemo"/> never needs them as a DOM. When the reader's parsed review comes
/// with them, the nodes are read lazily from it (no second parse); the data then owns that document and
/// must be disposed once the answer is written (nodes read from it are unusable afterwards: whatever
/// outlives the request, such as a remembered decision, holds copies, as <c>PatchBuilder</c> records them).
/// </summary>
internal sealed class AdmissionRequestData : IDisposable
{
    private static readonly JsonDocumentOptions ObjectOptions = new() { MaxDepth = AdmissionReviewReader.MaxDepth };

    private readonly ReadOnlyMemory<byte> objectJson;
    private readonly ReadOnlyMemory<byte> oldObjectJson;
    private readonly JsonDocument? document;
    private readonly JsonElement? objectElement;
    private readonly JsonElement? oldObjectElement;
    private JsonObject? parsedObject;
    private JsonObject? parsedOldObject;

    /// <param name="uid">request.uid, echoed in the response.</param>
    /// <param name="group">request.kind.group (empty for core kinds).</param>
    /// <param name="version">request.kind.version.</param>
    /// <param name="kind">request.kind.kind.</param>
    /// <param name="subResource">request.subResource, empty when the object itself is admitted.</param>
    /// <param name="operation">CREATE, UPDATE, DELETE or CONNECT.</param>
    /// <param name="namespace">request.namespace (or the object's metadata.namespace); empty for cluster-scoped objects.</param>
    /// <param name="name">request.name or metadata.name; empty when the API server has yet to generate it.</param>
    /// <param name="generateName">metadata.generateName, or empty.</param>
    /// <param name="objectJson">request.object as UTF-8 JSON (a JSON object), empty when absent.</param>
    /// <param name="oldObjectJson">request.oldObject as UTF-8 JSON, empty when absent.</param>
    /// <param name="dryRun">request.dryRun: answer the same, cause no side effects.</param>
    /// <param name="document">The parsed review the elements belong to, owned (disposed) by this data; or <c>null</c>.</param>
    /// <param name="objectElement">request.object in <paramref name="document"/>.</param>
    /// <param name="oldObjectElement">request.oldObject in <paramref name="document"/>.</param>
    public AdmissionRequestData(
        string uid, string group, string version, string kind, string subResource, string operation, string @namespace,
        string name, string generateName, ReadOnlyMemory<byte> objectJson, ReadOnlyMemory<byte> oldObjectJson, bool dryRun,
        JsonDocument? document = null, JsonElement? objectElement = null, JsonElement? oldObjectElement = null)
    {
        this.document = document;
        this.objectElement = document is null ? null : objectElement;
        this.oldObjectElement = document is null ? null : oldObjectElement;
        Uid = uid;
        Group = group;
        Version = version;
        Kind = kind;
        SubResource = subResource;
        Operation = operation;
        Namespace = @namespace;
        Name = name;
        GenerateName = generateName;
        this.objectJson = objectJson;
        this.oldObjectJson = oldObjectJson;
        DryRun = dryRun;
    }

    /// <summary>The same from already parsed nodes (the reader's checking path).</summary>
    public AdmissionRequestData(
        string uid, string group, string version, string kind, string subResource, string operation, string @namespace,
        string name, string generateName, JsonObject? obj, JsonObject? oldObj, bool dryRun)
        : this(uid, group, version, kind, subResource, operation, @namespace, name, generateName,
            obj is null ? default : JsonSerializer.SerializeToUtf8Bytes(obj), oldObj is null ? default : JsonSerializer.SerializeToUtf8Bytes(oldObj), dryRun)
    {
        parsedObject = obj;
        parsedOldObject = oldObj;
    }

    /// <summary>request.uid.</summary>
    public string Uid { get; }

    /// <summary>request.kind.group.</summary>
    public string Group { get; }

    /// <summary>request.kind.version.</summary>
    public string Version { get; }

    /// <summary>request.kind.kind.</summary>
    public string Kind { get; }

    /// <summary>request.subResource.</summary>
    public string SubResource { get; }

    /// <summary>request.operation.</summary>
    public string Operation { get; }

    /// <summary>request.namespace or metadata.namespace.</summary>
    public string Namespace { get; }

    /// <summary>request.name or metadata.name.</summary>
    public string Name { get; }

    /// <summary>metadata.generateName.</summary>
    public string GenerateName { get; }

    /// <summary>request.dryRun.</summary>
    public bool DryRun { get; }

    /// <summary>Whether request.object is present.</summary>
    public bool HasObject => !objectJson.IsEmpty;

    /// <summary>request.object as UTF-8 JSON (empty when absent).</summary>
    public ReadOnlyMemory<byte> ObjectJson => objectJson;

    /// <summary>request.oldObject as UTF-8 JSON (empty when absent).</summary>
    public ReadOnlyMemory<byte> OldObjectJson => oldObjectJson;

    /// <summary>request.object, made on first use.</summary>
    public JsonObject? Object => parsedObject ??= Node(objectElement, objectJson);

    /// <summary>request.oldObject, made on first use.</summary>
    public JsonObject? OldObject => parsedOldObject ??= Node(oldObjectElement, oldObjectJson);

    /// <summary>request.object as the element of the parsed review that <see cref="Object"/> is made from, when
    /// the reader kept the review (valid until <see cref="Dispose"/>).</summary>
    public JsonElement? ObjectElement => objectElement;

    /// <summary>Returns the parsed review's pooled buffers.</summary>
    public void Dispose() => document?.Dispose();

    // A node over the review's element is materialised member by member as it is read (JsonObject.Create
    // keeps the element), so a render touches only the parts of the pod it looks at.
    private static JsonObject? Node(JsonElement? element, ReadOnlyMemory<byte> json) =>
        element is { } e ? JsonObject.Create(e) : Parse(json);

    private static JsonObject? Parse(ReadOnlyMemory<byte> json) =>
        json.IsEmpty ? null : JsonNode.Parse(json.Span, documentOptions: ObjectOptions)!.AsObject();
}
