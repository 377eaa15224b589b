using System.Text.Json.Nodes;

namespace EgressTls.Core.Patching;

/// <summary>One RFC 6902 operation. <see cref="Path"/> is an RFC 6901 pointer, already escaped.</summary>
/// <param name="Op"><c>add</c>, <c>replace</c>, <c>test</c>, or <c>remove</c> (only of what egress-tls itself
/// wrote: egress-tls never removes what the user wrote).</param>
/// <param name="Path">JSON pointer.</param>
/// <param name="Value">The value for <c>add</c>, <c>replace</c> and <c>test</c>. Never changed once recorded, and
/// may be shared by several operations and renders (the variables and mounts egress-tls adds to every
/// container): read it, or add a <see cref="JsonNode.DeepClone"/> of it to a document, never the node itself.</param>
public sealed record PatchOperation(string Op, string Path, JsonNode? Value)
{
    /// <summary><see cref="Value"/> as compact UTF-8 JSON, when the value is a <see cref="SharedValue"/> (encoded once,
    /// for every operation that writes it); empty otherwise.</summary>
    public ReadOnlyMemory<byte> EncodedValue { get; init; }
}
