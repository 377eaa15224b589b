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

    /// <summary>Largest count RE2 accepts in <c>{n}</c>, <c>{n,}</c> and <c>{n,m}</c> (RE2 doc/syntax.txt).</summary>
    public const int MaxRepeatCount = 1000;

    /// <summary>
    /// True when <paramref name="pattern"/> compiles with the non-backtracking engine and uses no syntax
    /// that engine accepts but RE2 does not.
    /// </summary>
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
            // refuses most constructs RE2 lacks (backreferences, lookaround, atomic groups, conditionals);
            // the rest .NET accepts are refused by HasNonRe2Syntax. A pattern Envoy rejects makes it NACK
            // the pod's whole network policy update, so a typo must fail at admission, not in the agent.
            _ = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
            ok = !HasNonRe2Syntax(pattern);
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

    /// <summary>
    /// Syntax .NET accepts and RE2 refuses (RE2 doc/syntax.txt "NOT SUPPORTED"): the escapes <c>\Z</c>,
    /// <c>\e</c>, <c>\cX</c> and <c>\uXXXX</c>, <c>\b</c> (backspace) in a class, the Unicode blocks
    /// <c>\p{IsX}</c>, comments <c>(?#...)</c>, <c>(?'name'...)</c> and <c>(?&lt;name&gt;...)</c> groups, inline flags other than
    /// <c>i</c>, <c>m</c> and <c>s</c> (<c>(?x)</c>, <c>(?n)</c>), and repeat counts above
    /// <see cref="MaxRepeatCount"/>. Called only for patterns .NET compiled, so brackets balance.
    /// </summary>
    private static bool HasNonRe2Syntax(string pattern)
    {
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var next = pattern[++i];
                if (next is 'Z' or 'e' or 'c' or 'u' || (inClass && next == 'b'))
                {
                    return true;
                }

                if (next is 'p' or 'P' && i + 3 < pattern.Length && pattern[i + 1] == '{'
                    && pattern.AsSpan(i + 2).StartsWith("Is", StringComparison.Ordinal))
                {
                    return true;
                }

                continue;
            }

            if (inClass)
            {
                inClass = c != ']';
                continue;
            }

            switch (c)
            {
                case '[':
                    inClass = true;
                    // A ']' right after '[' or '[^' is a literal member of the class.
                    if (i + 1 < pattern.Length && pattern[i + 1] == '^')
                    {
                        i++;
                    }

                    if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                    {
                        i++;
                    }

                    break;
                case '(' when i + 1 < pattern.Length && pattern[i + 1] == '?':
                    if (UnsupportedGroup(pattern.AsSpan(i + 2)))
                    {
                        return true;
                    }

                    break;
                case '{' when RepeatCountTooLarge(pattern.AsSpan(i + 1)):
                    return true;
            }
        }

        return false;
    }

    // After "(?": a comment, a quoted name, an angle-bracket name (RE2 accepts "(?<name>" only since mid-2023,
    // google/re2 commit 6148386, which older Envoy builds predate; "(?:" matches the same), or flags RE2 does
    // not know (it knows i, m, s and U).
    private static bool UnsupportedGroup(ReadOnlySpan<char> rest)
    {
        if (rest.IsEmpty || rest[0] is '#' or '\'')
        {
            return !rest.IsEmpty;
        }

        if (rest[0] == '<' && rest.Length > 1 && rest[1] is not ('=' or '!'))
        {
            return true;
        }

        if (!char.IsAsciiLetter(rest[0]) && rest[0] != '-')
        {
            return false;
        }

        foreach (var flag in rest)
        {
            if (flag is ':' or ')')
            {
                return false;
            }

            if (flag is not ('i' or 'm' or 's' or 'U' or '-'))
            {
                return true;
            }
        }

        return false;
    }

    // After "{": "n}", "n,}" or "n,m}" with a count above RE2's limit (anything else is a literal '{').
    private static bool RepeatCountTooLarge(ReadOnlySpan<char> rest)
    {
        var close = rest.IndexOf('}');
        if (close <= 0)
        {
            return false;
        }

        var body = rest[..close];
        var comma = body.IndexOf(',');
        var first = comma < 0 ? body : body[..comma];
        var second = comma < 0 ? ReadOnlySpan<char>.Empty : body[(comma + 1)..];
        if (first.IsEmpty || !IsDigits(first) || !IsDigits(second))
        {
            return false;
        }

        return TooLarge(first) || (!second.IsEmpty && TooLarge(second));

        static bool IsDigits(ReadOnlySpan<char> text) => !text.ContainsAnyExceptInRange('0', '9');

        static bool TooLarge(ReadOnlySpan<char> digits) =>
            digits.TrimStart('0').Length > 4
            || int.Parse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture) > MaxRepeatCount;
    }
}
