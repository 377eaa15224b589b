using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace EgressTls.Core.Injection;

/// <summary>
/// Checks that the parts of a pod egress-tls patches have the types the Pod API defines. The API
/// server only admits well-formed pods, but <c>render</c> reads hand-written files: a wrong type there
/// is a user error, never an exception (Render is total).
/// </summary>
public static class PodShape
{
    /// <summary>Every field egress-tls would patch that has the wrong JSON type, with its path.</summary>
    public static ImmutableArray<FieldError> Check(JsonObject pod)
    {
        var errors = ImmutableArray.CreateBuilder<FieldError>();
        void Expect(JsonNode? node, string field, bool array)
        {
            if (node is null || (array ? node is JsonArray : node is JsonObject))
            {
                return;
            }

            errors.Add(new FieldError(field, $"is {node.GetValueKind()}; expected {(array ? "a list" : "a map")}"));
        }

        Expect(pod["metadata"], "metadata", array: false);
        Expect(pod["metadata"] as JsonObject is { } m ? m["labels"] : null, "metadata.labels", array: false);
        Expect(pod["metadata"] as JsonObject is { } a ? a["annotations"] : null, "metadata.annotations", array: false);
        Expect(pod["spec"], "spec", array: false);
        if (pod["spec"] is not JsonObject spec)
        {
            return errors.ToImmutable();
        }

        Expect(spec["volumes"], "spec.volumes", array: true);
        foreach (var list in new[] { "initContainers", "containers" })
        {
            Expect(spec[list], $"spec.{list}", array: true);
            if (spec[list] is not JsonArray containers)
            {
                continue;
            }

            for (var i = 0; i < containers.Count; i++)
            {
                var path = $"spec.{list}[{i}]";
                if (containers[i] is not JsonObject container)
                {
                    errors.Add(new FieldError(path, "is not a map; expected a container"));
                    continue;
                }

                foreach (var field in new[] { "env", "volumeMounts", "envFrom" })
                {
                    Expect(container[field], $"{path}.{field}", array: true);
                    if (container[field] is JsonArray items && items.Any(item => item is not JsonObject))
                    {
                        errors.Add(new FieldError($"{path}.{field}", "has an entry that is not a map"));
                    }
                }
            }
        }

        if (spec["volumes"] is JsonArray volumes && volumes.Any(v => v is not JsonObject))
        {
            errors.Add(new FieldError("spec.volumes", "has an entry that is not a map"));
        }

        return errors.ToImmutable();
    }
}
