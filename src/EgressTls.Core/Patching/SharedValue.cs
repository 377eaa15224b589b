using System.Text.Json;
using System.Text.Json.Nodes;

namespace EgressTls.Core.Patching;

/// <summary>
/// A value many operations write (the same variable or mount in every container of every pod), kept as its
/// node and its JSON, encoded once: the patch writer copies the JSON instead of writing the node again
/// (writing a large pod's 91 operations node by node cost 14 us).
/// </summary>
public sealed class SharedValue
{
    /// <summary>Keeps <paramref name="node"/> (never change it afterwards) and encodes it.</summary>
    public SharedValue(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        Node = node;

        // Compact, with the default encoder: what Utf8JsonWriter with default options writes for the node.
        Json = JsonSerializer.SerializeToUtf8Bytes(node);
    }

    /// <summary>The value.</summary>
    public JsonNode Node { get; }

    /// <summary>The value as compact UTF-8 JSON.</summary>
    public ReadOnlyMemory<byte> Json { get; }
}
