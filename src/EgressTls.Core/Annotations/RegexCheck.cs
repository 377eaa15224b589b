using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace EgressTls.Core.Annotations;

/// <summary>
/// Whether a pattern is a regular expression Envoy's RE2 accepts, remembered per pattern. Building a
/// non-backtracking regex costs about as much as the rest of an admission (hundreds of KB allocated),
/// and the patterns of a cluster are few and repeat on every pod of a profile. The answer depends on the
/// pattern alone, so remembering it keeps Render deterministic; the memory is bounded.
/// </summary>
internal static class RegexCheck
{
    /// <summary>Patterns remembered at most; beyond this, answers are computed each time.</summary>
    public const int Capacity = 4096;

    private const int MaxRememberedLength = 1024;

    private static readonly ConcurrentDictionary<string, bool> Known = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="pattern"/> compiles with the non-backtracking engine.</summary>
    public static bool IsRe2Compatible(string pattern)
    {
        if (Known.TryGetValue(pattern, out var known))
        {
            return known;
        }

        bool ok;
        try
        {
            // Cilium hands these to Envoy as RE2 safe_regex matchers. .NET's non-backtracking engine
            // refuses the same constructs RE2 lacks (backreferences, lookaround, atomic groups), so a
            // pattern that compiles here is one Envoy accepts, and a typo fails at admission, not in the agent.
            _ = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
            ok = true;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            ok = false;
        }

        if (Known.Count < Capacity && pattern.Length <= MaxRememberedLength)
        {
            Known.TryAdd(pattern, ok);
        }

        return ok;
    }
}
