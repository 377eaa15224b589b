using System.Collections.Immutable;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>What one reconcile pass did.</summary>
/// <param name="Desired">Desired objects.</param>
/// <param name="Renders">Renders run (memo hits excluded).</param>
/// <param name="Applied">Keys applied.</param>
/// <param name="Failed">Keys whose apply failed.</param>
/// <param name="Deleted">Keys deleted.</param>
/// <param name="Elapsed">Duration.</param>
public sealed record ReconcilePassResult(int Desired, int Renders, ImmutableArray<string> Applied, ImmutableArray<string> Failed, ImmutableArray<string> Deleted, TimeSpan Elapsed);
