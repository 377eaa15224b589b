namespace EgressTls.Core.Annotations;

/// <summary>One effective annotation value and where it came from.</summary>
/// <param name="Value">The raw value.</param>
/// <param name="Origin">Pod, namespace or intercept groups.</param>
/// <param name="OriginName">The namespace name or the group names, for messages.</param>
public sealed record AnnotationValue(string Value, AnnotationOrigin Origin, string OriginName)
{
    /// <summary>The field path of an error about this value.</summary>
    public string FieldFor(AnnotationKey key) => Origin switch
    {
        AnnotationOrigin.Pod => key.Field,
        AnnotationOrigin.Namespace => $"namespace({OriginName}).{key.Field}",
        _ => $"interceptGroups[{OriginName}].hosts",
    };
}
