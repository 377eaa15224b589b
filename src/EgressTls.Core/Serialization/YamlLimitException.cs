using YamlDotNet.Core;

namespace EgressTls.Core.Serialization;

/// <summary>
/// YAML or JSON that is well formed but goes past a limit of <see cref="Yaml"/>: nesting deeper than
/// <see cref="Yaml.MaxDepth"/>, or aliases that would build more nodes than the input allows. The message
/// names the limit and the expected form, and reads on its own after the value it is about.
/// </summary>
public sealed class YamlLimitException : YamlException
{
    /// <summary>A limit passed between <paramref name="start"/> and <paramref name="end"/>.</summary>
    public YamlLimitException(in Mark start, in Mark end, string message)
        : base(start, end, message)
    {
    }
}
