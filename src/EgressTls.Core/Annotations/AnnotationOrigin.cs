namespace EgressTls.Core.Annotations;

/// <summary>Where an effective annotation value came from (highest precedence first).</summary>
public enum AnnotationOrigin
{
    /// <summary>The object's own annotation (a pod's, or a Flux Provider's).</summary>
    Pod,

    /// <summary>The namespace's annotation (a default for its pods).</summary>
    Namespace,

    /// <summary>Installation intercept groups selecting the namespace.</summary>
    InterceptGroup,
}
