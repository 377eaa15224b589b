namespace EgressTls.Testing;

/// <summary>
/// The label selector grammar of list/watch requests, as far as the stand-in needs it:
/// <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c>, <c>!k</c>.
/// </summary>
public sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> requirements = [];

    private LabelSelector()
    {
    }

    /// <summary>Parses a selector; an empty or null selector matches everything.</summary>
    public static LabelSelector Parse(string? selector)
    {
        var result = new LabelSelector();
        if (string.IsNullOrWhiteSpace(selector))
        {
            return result;
        }

        foreach (var term in SplitTerms(selector))
        {
            var t = term.Trim();
            if (t.Length == 0)
            {
                continue;
            }

            int idx;
            if ((idx = t.IndexOf(" notin ", StringComparison.Ordinal)) > 0)
            {
                var key = t[..idx].Trim();
                var values = ParseSet(t[(idx + 7)..]);
                result.requirements.Add(l => !l.TryGetValue(key, out var v) || !values.Contains(v));
            }
            else if ((idx = t.IndexOf(" in ", StringComparison.Ordinal)) > 0)
            {
                var key = t[..idx].Trim();
                var values = ParseSet(t[(idx + 4)..]);
                result.requirements.Add(l => l.TryGetValue(key, out var v) && values.Contains(v));
            }
            else if ((idx = t.IndexOf("!=", StringComparison.Ordinal)) > 0)
            {
                var key = t[..idx].Trim();
                var value = t[(idx + 2)..].Trim();
                result.requirements.Add(l => !l.TryGetValue(key, out var v) || v != value);
            }
            else if ((idx = t.IndexOf('=', StringComparison.Ordinal)) > 0)
            {
                var key = t[..idx].Trim();
                var value = t[(idx + 1)..].TrimStart('=').Trim();
                result.requirements.Add(l => l.TryGetValue(key, out var v) && v == value);
            }
            else if (t.StartsWith('!'))
            {
                var key = t[1..].Trim();
                result.requirements.Add(l => !l.ContainsKey(key));
            }
            else
            {
                result.requirements.Add(l => l.ContainsKey(t));
            }
        }

        return result;
    }

    /// <summary>True when <paramref name="labels"/> satisfy every requirement.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels) => requirements.All(r => r(labels));

    private static HashSet<string> ParseSet(string text) =>
        text.Trim().TrimStart('(').TrimEnd(')').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    // Commas inside "(a,b)" belong to a set, not to the term list.
    private static IEnumerable<string> SplitTerms(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            switch (selector[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return selector[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return selector[start..];
    }
}
