using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using EgressTls.Core.Annotations;

namespace EgressTls.Webhook.Configuration;

/// <summary>
/// Checks the shape of a configuration document before it is bound: every unknown field, value of the
/// wrong type and null is reported with its field path and the expected form in plain words, and taken
/// out of the document, so that the rest still binds and its values are validated too (one run lists
/// every mistake). The schema is the serializer's own contract of the configuration records (JSON names
/// and property types), so the check and the binding cannot disagree.
/// </summary>
internal static class ConfigShape
{
    /// <summary>
    /// The document of <paramref name="text"/> (comments and trailing commas allowed). A field written twice
    /// in one object is a mistake in <paramref name="errors"/> and its first value is kept: a typo must not
    /// silently win over, or lose to, the line above it.
    /// </summary>
    /// <exception cref="JsonException">The text is not JSON.</exception>
    public static JsonNode? Parse(string text, List<string> errors)
    {
        using var document = JsonDocument.Parse(text, new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            AllowDuplicateProperties = true,
        });
        return ToNode(document.RootElement, "", errors);
    }

    private static JsonNode? ToNode(JsonElement element, string path, List<string> errors)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (var property in element.EnumerateObject())
                {
                    var field = path.Length == 0 ? Name(property.Name) : path + Segment(property.Name);
                    if (obj.ContainsKey(property.Name))
                    {
                        errors.Add($"{field}: written more than once in the same object; expected each field once");
                        continue;
                    }

                    obj[property.Name] = ToNode(property.Value, field, errors);
                }

                return obj;
            case JsonValueKind.Array:
                var list = new JsonArray();
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    list.Add(ToNode(item, $"{path}[{(i++).ToString(CultureInfo.InvariantCulture)}]", errors));
                }

                return list;
            case JsonValueKind.Null:
                return null;
            default:
                return JsonValue.Create(element.Clone());
        }
    }

    /// <summary>
    /// Checks <paramref name="root"/> against <see cref="WebhookConfig"/> and removes what is wrong: a field
    /// with a mistake, or a whole list when one of its items is unusable (removing only the item would shift
    /// the indices the value checks report).
    /// </summary>
    /// <param name="root">The document; changed in place.</param>
    /// <param name="options">The serializer settings the document is bound with.</param>
    /// <param name="errors">Receives one message per mistake: <c>field.path: found; expected form</c>.</param>
    /// <returns>The paths removed: their defaults apply, so value checks under them say nothing about the file.</returns>
    public static List<string> Check(JsonObject root, JsonSerializerOptions options, List<string> errors)
    {
        var removed = new List<string>();
        CheckObject(root, options.GetTypeInfo(typeof(WebhookConfig)), "", options, errors, removed);
        return removed;
    }

    /// <summary>True when <paramref name="field"/> is <paramref name="path"/> or lies under it.</summary>
    public static bool IsUnder(string field, string path) =>
        field.StartsWith(path, StringComparison.Ordinal)
        && (field.Length == path.Length || field[path.Length] is '.' or '[');

    // Returns false when the node is unusable (the caller removes it); nested mistakes are removed in place.
    private static bool CheckNode(JsonNode? node, Type type, string path, JsonSerializerOptions options, List<string> errors, List<string> removed)
    {
        var info = options.GetTypeInfo(type);
        var expected = Expected(info, options);
        if (node is null)
        {
            errors.Add($"{path}: null; expected {expected}");
            return false;
        }

        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object when node is JsonObject obj:
                CheckObject(obj, info, path, options, errors, removed);
                return true;
            case JsonTypeInfoKind.Dictionary when node is JsonObject map:
                foreach (var (key, value) in map.ToList())
                {
                    var entry = $"{path}[{ValueQuote.Quote(key)}]";
                    if (!CheckNode(value, info.ElementType!, entry, options, errors, removed))
                    {
                        map.Remove(key);
                        removed.Add(entry);
                    }
                }

                return true;
            case JsonTypeInfoKind.Enumerable when node is JsonArray list:
                var usable = true;
                for (var i = 0; i < list.Count; i++)
                {
                    usable &= CheckNode(list[i], info.ElementType!, $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", options, errors, removed);
                }

                return usable;
            case JsonTypeInfoKind.None when node is JsonValue value:
                return CheckScalar(value, type, path, expected, errors);
            default:
                errors.Add($"{path}: {Found(node)}; expected {expected}");
                return false;
        }
    }

    private static void CheckObject(
        JsonObject obj, JsonTypeInfo info, string path, JsonSerializerOptions options, List<string> errors, List<string> removed)
    {
        var properties = info.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var (key, value) in obj.ToList())
        {
            var field = path.Length == 0 ? Name(key) : $"{path}{Segment(key)}";
            if (!properties.TryGetValue(key, out var property))
            {
                errors.Add($"{field}: unknown field; expected one of {string.Join(", ", info.Properties.Select(p => p.Name))}");
                obj.Remove(key);
            }
            else if (!CheckNode(value, property.PropertyType, field, options, errors, removed))
            {
                obj.Remove(key);
                removed.Add(field);
            }
        }
    }

    private static bool CheckScalar(JsonValue value, Type type, string path, string expected, List<string> errors)
    {
        var kind = value.GetValueKind();
        string? problem = null;
        if (type == typeof(string))
        {
            problem = kind == JsonValueKind.String ? null : $"{Found(value)}; expected {expected}";
        }
        else if (type == typeof(bool))
        {
            problem = kind is JsonValueKind.True or JsonValueKind.False ? null : $"{Found(value)}; expected {expected}";
        }
        else if (type == typeof(int) || type == typeof(long))
        {
            var fits = type == typeof(int) ? value.TryGetValue<int>(out _) : value.TryGetValue<long>(out _);
            var whole = kind == JsonValueKind.Number && decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                && decimal.Truncate(d) == d;
            var max = type == typeof(int) ? int.MaxValue.ToString(CultureInfo.InvariantCulture) : long.MaxValue.ToString(CultureInfo.InvariantCulture);
            problem = kind != JsonValueKind.Number || !whole ? $"{Found(value)}; expected {expected}"
                : fits ? null
                : $"{Found(value)} is too large; expected {expected} of at most {max}";
        }
        else if (type == typeof(TimeSpan))
        {
            problem = kind != JsonValueKind.String ? $"{Found(value)}; expected {expected}"
                : GoDuration.TryParse(value.GetValue<string>(), out _, out var error) ? null
                : error;
        }

        if (problem is not null)
        {
            errors.Add($"{path}: {problem}");
        }

        return problem is null;
    }

    // The expected form in words, for messages.
    private static string Expected(JsonTypeInfo info, JsonSerializerOptions options) => info.Kind switch
    {
        JsonTypeInfoKind.Object => $"an object with the fields {string.Join(", ", info.Properties.Select(p => p.Name))}",
        JsonTypeInfoKind.Dictionary => $"an object whose values are {Plural(options.GetTypeInfo(info.ElementType!))}",
        JsonTypeInfoKind.Enumerable => $"a list of {Plural(options.GetTypeInfo(info.ElementType!))}",
        _ when info.Type == typeof(string) => "a string",
        _ when info.Type == typeof(bool) => "true or false",
        _ when info.Type == typeof(int) || info.Type == typeof(long) => "an integer",
        _ when info.Type == typeof(TimeSpan) => "a duration string such as \"15s\", \"30m\" or \"1h30m\"",
        _ => info.Type.Name,
    };

    private static string Plural(JsonTypeInfo info) => info.Kind switch
    {
        JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => "objects",
        JsonTypeInfoKind.Enumerable => "lists",
        _ when info.Type == typeof(string) => "strings",
        _ when info.Type == typeof(bool) => "booleans",
        _ when info.Type == typeof(int) || info.Type == typeof(long) => "integers",
        _ when info.Type == typeof(TimeSpan) => "duration strings",
        _ => info.Type.Name,
    };

    // What was found: a scalar as written (quoted safely), a container by its kind.
    private static string Found(JsonNode node) => node switch
    {
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => ValueQuote.Quote(v.GetValue<string>()),
        _ => ValueQuote.Quote(node.ToJsonString()).Trim('"'),
    };

    private static string Segment(string key) => "." + Name(key);

    // Field names are shown as written when they are plain, quoted otherwise (an unknown key may hold anything).
    private static string Name(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '/') ? key : ValueQuote.Quote(key);
}
