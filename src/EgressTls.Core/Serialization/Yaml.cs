using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace EgressTls.Core.Serialization;

/// <summary>
/// YAML as Kubernetes users write it, converted to and from <see cref="JsonNode"/> so that the whole
/// product works on one JSON model. Output is deterministic: keys keep the order of the node, strings
/// that YAML would read as another type are quoted, and multi-document streams are separated by <c>---</c>.
/// </summary>
public static class Yaml
{
    /// <summary>
    /// Deepest nesting of mappings and sequences read. Kubernetes objects stay far below it: a Pod nests
    /// 12 levels, a CronJob 16, and a CRD manifest, whose schema turns every field into two levels
    /// (<c>properties</c>, then the name) and every list into one (<c>items</c>), about 35 when it embeds a
    /// whole CronJob; 256 leaves room for CRDs nested several times deeper. Everything downstream stays
    /// within it: the nodes are written with System.Text.Json's default writer depth (1,000), and the
    /// recursive walks over them (<see cref="JsonNode.DeepClone"/>, <see cref="JsonNode.DeepEquals"/>,
    /// <see cref="Write"/>, the deepest at about 140 KB) fit ten times over in the 1.5 MB stack of a .NET
    /// thread on Linux. Objects that are admitted (Pods, Flux Providers) have the admission review's
    /// tighter depth, checked where they are rendered.
    /// </summary>
    public const int MaxDepth = 256;

    /// <summary>
    /// Fewest nodes that aliases may build in any input; beyond it they may build one node per character
    /// of the input. Anchors and aliases repeat parts of a manifest (kubectl reads them), but each alias
    /// copies its anchor's whole node, so ten nested levels of ten aliases in a few hundred bytes would
    /// build ten billion nodes. Like go-yaml, which kubectl uses, expansion is bounded in proportion to
    /// the input rather than aliases being refused: the same rule holds for annotation values and for
    /// manifests, so a value means the same wherever it is read, and no input of n characters makes more
    /// than about n + max(n, 100,000) nodes.
    /// </summary>
    public const int MinAliasNodes = 100_000;

    /// <summary>
    /// Parses a YAML stream (one or more documents) into JSON nodes. Empty documents are skipped.
    /// Scalars follow the YAML 1.2 core schema as Kubernetes reads it: plain <c>true</c>/<c>false</c>,
    /// <c>null</c>/<c>~</c>, integers and floats become JSON values; quoted scalars stay strings.
    /// </summary>
    /// <remarks>
    /// Built from the parser's events with an explicit stack, so the stack used does not grow with the
    /// input's nesting. An alias stands for a copy of the node its anchor, defined before it in the same
    /// document, names.
    /// </remarks>
    /// <exception cref="YamlException">The text is not valid YAML (callers turn this into a user error).</exception>
    /// <exception cref="YamlLimitException">The text nests deeper than <see cref="MaxDepth"/>, or its aliases
    /// build more nodes than <see cref="MinAliasNodes"/> allows (a <see cref="YamlException"/> too).</exception>
    public static IReadOnlyList<JsonNode?> ParseStream(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var reader = new StringReader(text);
        var parser = new Parser(reader);
        var aliasBudget = Math.Max(MinAliasNodes, (long)text.Length);
        long aliasNodes = 0;
        var result = new List<JsonNode?>();
        parser.Consume<StreamStart>();
        while (!parser.TryConsume<StreamEnd>(out _))
        {
            parser.Consume<DocumentStart>();
            if (parser.Accept<Scalar>(out var only) && only.Style == ScalarStyle.Plain && only.Value.Length == 0)
            {
                parser.MoveNext();
            }
            else
            {
                result.Add(ReadNode(parser, aliasBudget, ref aliasNodes));
            }

            parser.Consume<DocumentEnd>();
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

    // One document's root node. Mappings and sequences being built are kept on a list, not on the call
    // stack; a node joins its parent when it is complete, and so does an anchor's entry.
    private static JsonNode? ReadNode(IParser parser, long aliasBudget, ref long aliasNodes)
    {
        var anchors = new Dictionary<string, Anchored>(StringComparer.Ordinal);
        var open = new List<Collection>();
        while (true)
        {
            var next = parser.Consume<ParsingEvent>();
            JsonNode? node;
            int height;
            long count;
            var parent = open.Count > 0 ? open[^1] : null;
            switch (next)
            {
                case Scalar scalar:
                    if (!scalar.Anchor.IsEmpty)
                    {
                        anchors[scalar.Anchor.Value] = new Anchored(null, scalar, 0, 1);
                    }

                    if (parent is { ExpectsKey: true })
                    {
                        parent.SetKey(scalar.Value, scalar);
                        continue;
                    }

                    (node, height, count) = (ScalarToJson(scalar), 0, 1);
                    break;
                case AnchorAlias alias:
                    if (!anchors.TryGetValue(alias.Value.Value, out var target))
                    {
                        throw new YamlException(alias.Start, alias.End,
                            $"alias *{alias.Value.Value} refers to no complete node before it; expected an anchor &{alias.Value.Value} on an earlier node of the document");
                    }

                    if (parent is { ExpectsKey: true })
                    {
                        parent.SetKey(target.Scalar?.Value ?? throw NonScalarKey(alias), alias);
                        continue;
                    }

                    aliasNodes += target.Count;
                    if (aliasNodes > aliasBudget)
                    {
                        throw new YamlLimitException(alias.Start, alias.End,
                            $"aliases expand to more than {aliasBudget} nodes (expected at most {aliasBudget} for this input: one node per character, and at least {MinAliasNodes})");
                    }

                    if (open.Count + target.Height > MaxDepth)
                    {
                        throw TooDeep(alias);
                    }

                    (node, height, count) = (target.Scalar is { } anchoredScalar ? ScalarToJson(anchoredScalar) : target.Node!.DeepClone(), target.Height, target.Count);
                    break;
                case MappingStart or SequenceStart:
                    if (parent is { ExpectsKey: true })
                    {
                        throw NonScalarKey(next);
                    }

                    if (open.Count == MaxDepth)
                    {
                        throw TooDeep(next);
                    }

                    open.Add(next is MappingStart mapping ? new Collection(new JsonObject(), mapping.Anchor) : new Collection(new JsonArray(), ((SequenceStart)next).Anchor));
                    continue;
                case MappingEnd or SequenceEnd:
                    var done = open[^1];
                    open.RemoveAt(open.Count - 1);
                    (node, height, count) = (done.Node, done.Height + 1, done.Count + 1);
                    if (!done.Anchor.IsEmpty)
                    {
                        anchors[done.Anchor.Value] = new Anchored(done.Node, null, height, count);
                    }

                    break;
                default:
                    throw new YamlException(next.Start, next.End, $"unexpected YAML event {next.GetType().Name}");
            }

            if (open.Count == 0)
            {
                return node;
            }

            open[^1].Add(node, height, count);
        }
    }

    private static YamlException NonScalarKey(ParsingEvent key) => new(key.Start, key.End, "only scalar mapping keys are supported");

    private static YamlLimitException TooDeep(ParsingEvent at) => new(at.Start, at.End,
        $"mappings and sequences nest deeper than {MaxDepth} levels (expected at most {MaxDepth} levels of nesting)");

    // A node an anchor names: a scalar is kept as its event (typed again where an alias uses it, as a key
    // or a value), a mapping or sequence as the node built, copied for each alias.
    private sealed record Anchored(JsonNode? Node, Scalar? Scalar, int Height, long Count);

    // A mapping or sequence being read: the node, the key waiting for its value, and the height and node
    // count of what it holds so far (an alias of it copies that many nodes).
    private sealed class Collection(JsonNode node, AnchorName anchor)
    {
        private string? key;

        public JsonNode Node { get; } = node;

        public AnchorName Anchor { get; } = anchor;

        public int Height { get; private set; }

        public long Count { get; private set; }

        public bool ExpectsKey => Node is JsonObject && key is null;

        public void SetKey(string name, ParsingEvent at)
        {
            if (((JsonObject)Node).ContainsKey(name))
            {
                throw new YamlException(at.Start, at.End, $"duplicate key '{name}'");
            }

            key = name;
        }

        public void Add(JsonNode? child, int childHeight, long childCount)
        {
            if (Node is JsonObject obj)
            {
                obj[key!] = child;
                key = null;
            }
            else
            {
                ((JsonArray)Node).Add(child);
            }

            Height = Math.Max(Height, childHeight);
            Count += childCount;
        }
    }

    private static JsonNode? ScalarToJson(Scalar scalar)
    {
        var text = scalar.Value;
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
