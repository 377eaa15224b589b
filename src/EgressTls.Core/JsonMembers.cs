using System.Runtime.InteropServices;
using System.Text.Json;

namespace EgressTls.Core;

/// <summary>
/// Reading an object as parsed JSON without making nodes or strings of what is only compared: the
/// admission path reads a pod this way, member names given as UTF-8.
/// </summary>
internal static class JsonMembers
{
    /// <summary>The member <paramref name="name"/> of <paramref name="element"/> when it is an object holding one of
    /// <paramref name="kind"/> there, else <c>null</c> (also when <paramref name="element"/> is <c>null</c>).</summary>
    public static JsonElement? Member(JsonElement? element, ReadOnlySpan<byte> name, JsonValueKind kind) =>
        element is { ValueKind: JsonValueKind.Object } map && map.TryGetProperty(name, out var member) && member.ValueKind == kind ? member : null;

    /// <summary>Whether <paramref name="element"/> has the member <paramref name="name"/> with a value other than null.</summary>
    public static bool Has(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var member) && member.ValueKind != JsonValueKind.Null;

    /// <summary>The UTF-8 of a string element as sent, when it has no escape sequence (then it is the value itself).</summary>
    public static bool TryUnescaped(JsonElement text, out ReadOnlySpan<byte> value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(text);
        if (raw.Length < 2 || raw.IndexOf((byte)'\\') >= 0)
        {
            value = default;
            return false;
        }

        value = raw[1..^1];
        return true;
    }

    /// <summary>Whether a member's name starts with <paramref name="prefix"/> (whose UTF-8 is
    /// <paramref name="prefixUtf8"/>), compared as sent unless the name is escaped (JSON may write "/" as "\/").</summary>
    public static bool NameStartsWith(JsonProperty member, string prefix, ReadOnlySpan<byte> prefixUtf8)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(member);
        return raw.IndexOf((byte)'\\') < 0 ? raw.StartsWith(prefixUtf8) : member.Name.StartsWith(prefix, StringComparison.Ordinal);
    }
}
