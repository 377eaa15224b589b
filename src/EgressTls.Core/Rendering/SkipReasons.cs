namespace EgressTls.Core.Rendering;

/// <summary>The machine-friendly reasons of <see cref="Skipped"/> (metrics labels and Event reasons).</summary>
public static class SkipReasons
{
    /// <summary>Not a Pod (Flux Providers are not supported yet).</summary>
    public const string KindNotSupported = "kind-not-supported";

    /// <summary>Not a CREATE: pods are mutated once, at creation (peers.md D15).</summary>
    public const string OperationNotCreate = "operation-not-create";

    /// <summary>The namespace is excluded (kube-system, the webhook's own, configured ones).</summary>
    public const string NamespaceExcluded = "namespace-excluded";

    /// <summary>Neither the pod nor its namespace has <c>egress-tls.io/enabled=true</c>.</summary>
    public const string NotOptedIn = "not-opted-in";

    /// <summary>The pod has <c>egress-tls.io/enabled=false</c>.</summary>
    public const string OptedOut = "opted-out";

    /// <summary>No egress-tls annotation applies to the pod.</summary>
    public const string NoAnnotations = "no-annotations";
}
