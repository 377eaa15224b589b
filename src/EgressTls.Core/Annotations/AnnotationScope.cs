namespace EgressTls.Core.Annotations;

/// <summary>Where an annotation key may be written.</summary>
[Flags]
public enum AnnotationScope
{
    /// <summary>Nowhere a user writes it (egress-tls writes it).</summary>
    None = 0,

    /// <summary>On a Namespace, as a default for its pods.</summary>
    Namespace = 1,

    /// <summary>On a Pod (overrides the namespace's value).</summary>
    Pod = 2,

    /// <summary>On a Flux notification-controller Provider.</summary>
    Provider = 4,
}
