namespace EgressTls.Core.Rendering;

/// <summary>The machine-friendly reasons of <see cref="Skipped"/> (metrics labels and Event reasons).</summary>
public static class SkipReasons
{
    /// <summary>Neither a Pod nor a Flux Provider of a served version (v1beta3, v1beta2).</summary>
    public const string KindNotSupported = "kind-not-supported";

    /// <summary>Not a CREATE: pods are mutated once, at creation (peers.md D15).</summary>
    public const string OperationNotCreate = "operation-not-create";

    /// <summary>A Flux Provider on an operation other than CREATE or UPDATE.</summary>
    public const string OperationNotHandled = "operation-not-handled";

    /// <summary>The namespace is excluded (kube-system, the webhook's own, configured ones).</summary>
    public const string NamespaceExcluded = "namespace-excluded";

    /// <summary>Neither the object (pod, Provider) nor its namespace has <c>egress-tls.io/enabled=true</c>.</summary>
    public const string NotOptedIn = "not-opted-in";

    /// <summary>The object (pod, Provider) has <c>egress-tls.io/enabled=false</c>.</summary>
    public const string OptedOut = "opted-out";

    /// <summary>No egress-tls annotation applies to the object.</summary>
    public const string NoAnnotations = "no-annotations";
}
