using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace EgressTls.Core.Serialization;

/// <summary>
/// YAML as Kubernetes users write it, converted to and from <see cref="JsonNode"/> so that the whole
/// product works on one JSON model. Output is deterministic: keys keep the order of the node, strings
/// that YAML would read as another type are quoted, and multi-document streams are separated by <c>---</c>.
/// </summary>
public static class Yaml
{
    /// <summary>
    /// Parses a YAML stream (one or more documents) into JSON nodes. Empty documents are skipped.
    /// Scalars follow the YAML 1.2 core schema as Kubernetes reads it: plain <c>true</c>/<c>false</c>,
    /// <c>null</c>/<c>~</c>, integers and floats become JSON values; quoted scalars stay strings.
    /// </summary>
    /// <exception cref="YamlException">The text is not valid YAML (callers turn this into a user error).</exception>
    public static IReadOnlyList<JsonNode?> ParseStream(string text)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(text))
        {
            stream.Load(reader);
        }

        var result = new List<JsonNode?>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" } scalar && scalar.Style == ScalarStyle.Plain)
            {
                continue;
            }

            result.Add(ToJson(document.RootNode));
        }

        return result;
    }

    /// <summary>Parses a single YAML (or JSON) document.</summary>
    public static JsonNode? Parse(string text)
    {
        var documents = ParseStream(text);
        return documents.Count switch
        {
            0 => null,
            1 => documents[0],
            _ => throw new YamlException($"expected one YAML document, found {documents.Count}"),
        };
    }

    /// <summary>Writes the nodes as a YAML stream, each document introduced by <c>---</c>.</summary>
    public static string WriteStream(IEnumerable<JsonNode?> documents)
    {
        var builder = new StringBuilder();
        foreach (var document in documents)
        {
            builder.Append("---\n");
            builder.Append(Write(document));
        }

        return builder.ToString();
    }

    /// <summary>Writes one node as a YAML document (no leading <c>---</c>), ending with a newline.</summary>
    public static string Write(JsonNode? node)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(writer, bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, node);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        var text = writer.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
        return text.EndsWith('\n') ? text : text + "\n";
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Any));
                foreach (var (key, value) in obj)
                {
                    EmitString(emitter, key);
                    Emit(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, SequenceStyle.Any));
                foreach (var item in array)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value:
                EmitValue(emitter, value);
                break;
            default:
                throw new InvalidOperationException($"unexpected JSON node {node.GetType().Name}");
        }
    }

    private static void EmitValue(IEmitter emitter, JsonValue value)
    {
        var kind = value.GetValueKind();
        switch (kind)
        {
            case JsonValueKind.String:
                EmitString(emitter, value.GetValue<string>());
                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
            case JsonValueKind.Number:
                emitter.Emit(new Scalar(null, null, value.ToJsonString(), ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
            case JsonValueKind.Null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
                break;
            default:
                throw new InvalidOperationException($"unexpected JSON value kind {kind}");
        }
    }

    private static void EmitString(IEmitter emitter, string text)
    {
        ScalarStyle style;
        // A literal block carries only printable characters and '\n': a reader normalises "\r\n" and "\r" to
        // "\n" (YAML 1.2 section 5.4) and other control characters cannot appear unescaped, so such strings
        // are double-quoted (escaped) instead, or `render` would print a different value than the webhook saw.
        if (text.Contains('\n', StringComparison.Ordinal)
            && !text.Any(c => c is not ('\n' or '\t') && (char.IsControl(c) || c is '\u2028' or '\u2029')))
        {
            style = ScalarStyle.Literal;
        }
        else if (NeedsQuotes(text))
        {
            style = ScalarStyle.DoubleQuoted;
        }
        else
        {
            style = ScalarStyle.Plain;
        }

        emitter.Emit(new Scalar(null, null, text, style, isPlainImplicit: style == ScalarStyle.Plain, isQuotedImplicit: style != ScalarStyle.Plain));
    }

    // A plain scalar that a YAML 1.1 or 1.2 reader would take for something other than this string.
    private static bool NeedsQuotes(string text)
    {
        if (text.Length == 0 || text != text.Trim())
        {
            return true;
        }

        if (ScalarLooksTyped(text))
        {
            return true;
        }

        // Indicators that change meaning at the start of a plain scalar, and sequences that do anywhere.
        if ("-?:,[]{}#&*!|>'\"%@`~".Contains(text[0], StringComparison.Ordinal))
        {
            return true;
        }

        return text.Contains(": ", StringComparison.Ordinal) || text.Contains(" #", StringComparison.Ordinal) || text.EndsWith(':')
            || text.Any(c => char.IsControl(c));
    }

    private static bool ScalarLooksTyped(string text)
    {
        switch (text.ToLowerInvariant())
        {
            case "true" or "false" or "yes" or "no" or "on" or "off" or "y" or "n" or "null" or "~" or ".nan" or ".inf" or "-.inf" or "+.inf":
                return true;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            || (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && text.Length > 2)
            || (text.StartsWith("0o", StringComparison.OrdinalIgnoreCase) && text.Length > 2)
            || System.Text.RegularExpressions.Regex.IsMatch(text, @"^[0-9]+(:[0-5]?[0-9])+$"); // YAML 1.1 sexagesimal
    }

    private static JsonNode? ToJson(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode { Value: { } name })
                    {
                        throw new YamlException(key.Start, key.End, "only scalar mapping keys are supported");
                    }

                    if (obj.ContainsKey(name))
                    {
                        throw new YamlException(key.Start, key.End, $"duplicate key '{name}'");
                    }

                    obj[name] = ToJson(value);
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Children)
                {
                    array.Add(ToJson(item));
                }

                return array;
            case YamlScalarNode scalar:
                return ScalarToJson(scalar);
            default:
                throw new YamlException(node.Start, node.End, $"unsupported YAML node {node.NodeType}");
        }
    }

    private static JsonNode? ScalarToJson(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        var explicitString = !scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value is "tag:yaml.org,2002:str" or "!!str";
        if (scalar.Style != ScalarStyle.Plain || explicitString)
        {
            return JsonValue.Create(text);
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (System.Text.RegularExpressions.Regex.IsMatch(text, @"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            return JsonValue.Create(real);
        }

        return JsonValue.Create(text);
    }
}
