namespace EgressTls.Core.Annotations;

/// <summary>One annotation key under <see cref="Naming.Prefix"/>, declared once in <see cref="AnnotationRegistry"/>.</summary>
/// <param name="Name">The key without the prefix (e.g. <c>intercept</c>).</param>
/// <param name="Form">The expected form, quoted in error messages after "expected".</param>
/// <param name="Default">The default, in words.</param>
/// <param name="Doc">What the key does (README reference).</param>
/// <param name="AllowedOn">Where users may write it.</param>
public sealed record AnnotationKey(string Name, string Form, string Default, string Doc, AnnotationScope AllowedOn)
{
    /// <summary>The full key, e.g. <c>egress-tls.io/intercept</c>.</summary>
    public string FullName => Naming.Prefix + Name;

    /// <summary>The field path used in errors: <c>metadata.annotations[egress-tls.io/NAME]</c>.</summary>
    public string Field => $"metadata.annotations[{FullName}]";
}
