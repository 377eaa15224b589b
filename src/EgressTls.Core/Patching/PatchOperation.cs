using System.Text.Json.Nodes;

namespace EgressTls.Core.Patching;

/// <summary>One RFC 6902 operation. <see cref="Path"/> is an RFC 6901 pointer, already escaped.</summary>
/// <param name="Op"><c>add</c>, <c>replace</c>, <c>test</c>, or <c>remove</c> (only of what egress-tls itself
/// wrote: egress-tls never removes what the user wrote).</param>
/// <param name="Path">JSON pointer.</param>
/// <param name="Value">The value for <c>add</c>, <c>replace</c> and <c>test</c>.</param>
public sealed record PatchOperation(string Op, string Path, JsonNode? Value);
