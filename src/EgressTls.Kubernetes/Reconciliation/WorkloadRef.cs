namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>The object an Event is about (a Pod, a Namespace or a Provider).</summary>
/// <param name="ApiVersion">Its apiVersion.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Namespace">Its namespace (null for a Namespace).</param>
/// <param name="Name">Its name.</param>
/// <param name="Uid">Its uid, when known.</param>
public sealed record WorkloadRef(string ApiVersion, string Kind, string? Namespace, string Name, string? Uid = null)
{
    /// <summary>The reference to a Namespace.</summary>
    public static WorkloadRef ForNamespace(string name) => new("v1", "Namespace", null, name);
}
