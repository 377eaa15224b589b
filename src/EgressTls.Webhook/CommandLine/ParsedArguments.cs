using System.Collections.Immutable;

namespace EgressTls.Webhook.CommandLine;

/// <summary>Options (<c>--name value</c> or <c>--name=value</c>) and flags (<c>--name</c>) of one subcommand.</summary>
internal sealed record ParsedArguments(ImmutableDictionary<string, string> Options, ImmutableHashSet<string> Flags)
{
    /// <summary>The value of option <paramref name="name"/>, or <c>null</c>.</summary>
    public string? Get(string name) => Options.GetValueOrDefault(name);

    /// <summary>True when flag <paramref name="name"/> was given.</summary>
    public bool Has(string name) => Flags.Contains(name);

    /// <summary>
    /// Parses <paramref name="args"/> against the declared options (taking a value) and flags. Short
    /// aliases map to long names. Positional arguments, repeated options and empty values are usage
    /// errors: the subcommands take none, silently keeping the last value would hide a typo, and no
    /// option has a meaning for an empty value (<c>--config=</c> is a script whose variable was unset).
    /// </summary>
    /// <param name="args">The arguments after the subcommand.</param>
    /// <param name="valueOptions">Each option that takes a value, with the expected form of that value in words.</param>
    /// <param name="flags">The options that take no value.</param>
    /// <param name="aliases">Short names to long names.</param>
    public static ParsedArguments Parse(
        IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string> valueOptions,
        IReadOnlySet<string> flags,
        IReadOnlyDictionary<string, string> aliases)
    {
        var options = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var seenFlags = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inlineValue = null;
            var equals = arg.StartsWith("--", StringComparison.Ordinal) ? arg.IndexOf('=', StringComparison.Ordinal) : -1;
            if (equals > 0)
            {
                inlineValue = arg[(equals + 1)..];
                arg = arg[..equals];
            }

            var name = aliases.TryGetValue(arg, out var longName) ? longName : arg;
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unexpected argument \"{arg}\"");
            }

            if (flags.Contains(name))
            {
                if (inlineValue is not null)
                {
                    throw new UsageException($"{name} takes no value");
                }

                seenFlags.Add(name);
                continue;
            }

            if (!valueOptions.TryGetValue(name, out var expected))
            {
                throw new UsageException($"unknown option {arg}");
            }

            var value = inlineValue;
            if (value is null)
            {
                // "-" is a value (stdin), not an option.
                if (i + 1 >= args.Count || (args[i + 1].StartsWith('-') && args[i + 1] != "-"))
                {
                    throw new UsageException($"{name} needs a value");
                }

                value = args[++i];
            }

            if (value.Length == 0)
            {
                throw new UsageException($"{name}: the value is empty; expected {expected}");
            }

            if (!options.TryAdd(name, value))
            {
                throw new UsageException($"{name} given more than once");
            }
        }

        return new ParsedArguments(options.ToImmutable(), seenFlags.ToImmutable());
    }
}
