using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EgressTls.Core.Injection;

/// <summary>
/// Checks that the parts of a pod egress-tls patches have the types the Pod API defines. The API
/// server only admits well-formed pods, but <c>render</c> reads hand-written files: a wrong type there
/// is a user error, never an exception (Render is total). Reads the pod as parsed JSON (no node per
/// container, mount or env entry: making them cost more than the rest of a large pod's render).
/// </summary>
public static class PodShape
{
    private static readonly string[] Lists = ["initContainers", "containers"];

    private static readonly string[] ContainerLists = ["env", "volumeMounts", "envFrom"];

    // The members of each container list's entries that the Pod API types as strings and egress-tls reads:
    // an env entry's name and value (a JAVA_TOOL_OPTIONS value is appended to), a mount's volume, path and subPath.
    private static readonly string[][] ContainerListStrings = [["name", "value"], ["name", "mountPath", "subPath", "subPathExpr"], []];

    private static readonly string[] Name = ["name"];

    // Member names compared as the UTF-8 the pod is parsed from (a string is transcoded on every lookup).
    private static readonly byte[][] ListsUtf8 = [.. Lists.Select(Encoding.UTF8.GetBytes)];

    private static readonly byte[][] ContainerListsUtf8 = [.. ContainerLists.Select(Encoding.UTF8.GetBytes)];

    private static readonly byte[][][] ContainerListStringsUtf8 = [.. ContainerListStrings.Select(names => names.Select(Encoding.UTF8.GetBytes).ToArray())];

    private static readonly byte[][] NameUtf8 = [.. Name.Select(Encoding.UTF8.GetBytes)];

    /// <summary>Every field egress-tls would patch or read that has the wrong JSON type, with its path. The API
    /// server refuses these pods too (a string field holding a number cannot be decoded), so they are errors,
    /// never values to compare or append to.</summary>
    public static ImmutableArray<FieldError> Check(JsonElement pod)
    {
        var errors = ImmutableArray.CreateBuilder<FieldError>();
        var metadata = Expect(errors, pod, "metadata"u8, array: false, Field.Of(null, "metadata"));
        Expect(errors, metadata, "labels"u8, array: false, Field.Of("metadata", "labels"));
        Expect(errors, metadata, "annotations"u8, array: false, Field.Of("metadata", "annotations"));
        if (Expect(errors, pod, "spec"u8, array: false, Field.Of(null, "spec")) is not { } spec)
        {
            return errors.ToImmutable();
        }

        var volumes = Expect(errors, spec, "volumes"u8, array: true, Field.Of("spec", "volumes"));
        for (var l = 0; l < Lists.Length; l++)
        {
            var list = Lists[l];
            if (Expect(errors, spec, ListsUtf8[l], array: true, Field.Of("spec", list)) is not { } containers)
            {
                continue;
            }

            var i = 0;
            foreach (var container in containers.EnumerateArray())
            {
                var at = new Field(list, i++, null);
                if (container.ValueKind != JsonValueKind.Object)
                {
                    errors.Add(new FieldError(at.ToString(), "is not a map; expected a container"));
                    continue;
                }

                Strings(errors, container, Name, NameUtf8, at, entry: -1);
                for (var m = 0; m < ContainerLists.Length; m++)
                {
                    var field = at with { Member = ContainerLists[m] };
                    Entries(errors, Expect(errors, container, ContainerListsUtf8[m], array: true, field), field, ContainerListStrings[m], ContainerListStringsUtf8[m]);
                }
            }
        }

        Entries(errors, volumes, Field.Of("spec", "volumes"), Name, NameUtf8);
        return errors.ToImmutable();
    }

    // The member `name` of `parent` when it has the expected type; absent and null are both fine (the patch
    // creates what it needs), any other type is an error.
    private static JsonElement? Expect(ImmutableArray<FieldError>.Builder errors, JsonElement? parent, ReadOnlySpan<byte> name, bool array, Field field)
    {
        if (parent is not { ValueKind: JsonValueKind.Object } map || !map.TryGetProperty(name, out var node) || node.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (node.ValueKind == (array ? JsonValueKind.Array : JsonValueKind.Object))
        {
            return node;
        }

        errors.Add(new FieldError(field.ToString(), $"is {node.ValueKind}; expected {(array ? "a list" : "a map")}"));
        return null;
    }

    // The entries of a list are maps (one error for the list when one is not), whose members `names` are
    // strings when present (an error for each that is not).
    private static void Entries(ImmutableArray<FieldError>.Builder errors, JsonElement? items, Field field, string[] names, byte[][] namesUtf8)
    {
        if (items is not { } list)
        {
            return;
        }

        var notMap = false;
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var entry = index++;
            if (item.ValueKind != JsonValueKind.Object)
            {
                if (!notMap)
                {
                    errors.Add(new FieldError(field.ToString(), "has an entry that is not a map"));
                    notMap = true;
                }

                continue;
            }

            Strings(errors, item, names, namesUtf8, field, entry);
        }
    }

    // An error for each member `names` of `map` that is present, not null and not a string; `map` is the entry
    // `entry` of the list at `field`, or the value at `field` itself when `entry` is -1.
    private static void Strings(ImmutableArray<FieldError>.Builder errors, JsonElement map, string[] names, byte[][] namesUtf8, Field field, int entry)
    {
        // One pass over the members, and a name compared only where the value is neither a string nor null: a
        // large pod has hundreds of env entries and mounts, nearly all of them right (a lookup per name cost more).
        var wrong = 0;
        foreach (var member in map.EnumerateObject())
        {
            if (member.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null)
            {
                continue;
            }

            for (var n = 0; n < names.Length; n++)
            {
                if (member.NameEquals(namesUtf8[n]))
                {
                    wrong |= 1 << n;
                    break;
                }
            }
        }

        for (var n = 0; wrong != 0 && n < names.Length; n++)
        {
            // In the order of `names`, with what a lookup finds (as everything else that reads the pod).
            if ((wrong & (1 << n)) != 0 && map.TryGetProperty(namesUtf8[n], out var value) && value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                // YAML reads an unquoted 512 or true as a number or a boolean.
                var hint = value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
                    ? $" (in YAML, quote it: \"{value.GetRawText()}\")"
                    : string.Empty;
                var at = entry < 0 ? field.ToString() : $"{field}[{entry.ToString(CultureInfo.InvariantCulture)}]";
                errors.Add(new FieldError($"{at}.{names[n]}", $"is {value.ValueKind}; expected a string{hint}"));
            }
        }
    }

    // A field's path, spelled out only for an error: `Parent.Member`, or `spec.<List>[<Index>].<Member>` in a container.
    private readonly record struct Field(string Parent, int Index, string? Member)
    {
        public static Field Of(string? parent, string member) => new(parent ?? string.Empty, -1, member);

        public override string ToString() => Index >= 0
            ? $"spec.{Parent}[{Index}]{(Member is null ? string.Empty : "." + Member)}"
            : Parent.Length == 0 ? Member! : $"{Parent}.{Member}";
    }
}
