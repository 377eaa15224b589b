using System.Text.Json.Nodes;

namespace EgressTls.Chart.Tests;

/// <summary>Kubernetes label selector semantics (matchLabels AND matchExpressions; NotIn and
/// DoesNotExist match objects without the key), to evaluate the webhook's selectors.</summary>
internal static class LabelSelector
{
    public static bool Matches(JsonNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        if (selector is null)
        {
            return true;
        }

        foreach (var (key, value) in selector["matchLabels"]?.AsObject() ?? [])
        {
            if (!labels.TryGetValue(key, out var actual) || actual != (string?)value)
            {
                return false;
            }
        }

        foreach (var expression in selector["matchExpressions"]?.AsArray() ?? [])
        {
            var key = (string)expression!["key"]!;
            var values = expression["values"]?.AsArray().Select(v => (string)v!).ToHashSet() ?? [];
            var has = labels.TryGetValue(key, out var actual);
            var ok = (string)expression["operator"]! switch
            {
                "In" => has && values.Contains(actual!),
                "NotIn" => !has || !values.Contains(actual!),
                "Exists" => has,
                "DoesNotExist" => !has,
                var op => throw new InvalidOperationException($"unknown operator {op}"),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
