namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>
/// Live objects garbage collection must keep although they are not desired: the objects of a profile (or a
/// Provider) whose workloads still run but could not be re-rendered to the same result (their namespace's
/// defaults changed, an annotation became invalid, the namespace lost its opt-in). Those workloads still
/// carry the profile label, so their policy must stay until they are gone.
/// </summary>
/// <param name="Namespace">The workload namespace.</param>
/// <param name="Profile">The profile label value, or null.</param>
/// <param name="Provider">The Provider name, or null.</param>
public sealed record RetainedScope(string Namespace, string? Profile, string? Provider);
