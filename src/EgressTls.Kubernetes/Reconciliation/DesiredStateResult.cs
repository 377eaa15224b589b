using System.Collections.Immutable;
using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>The outcome of <see cref="DesiredState.Compute"/>.</summary>
/// <param name="Objects">Every object that must exist, each once, in apply order (rank, then key).</param>
/// <param name="Requesters">For each object key (<see cref="ObjectKeys.Of(GeneratedObject)"/>), a workload that needs it (Events go there).</param>
/// <param name="Retained">Scopes garbage collection keeps although nothing desires them.</param>
/// <param name="Problems">What to report on workloads.</param>
/// <param name="Renders">How many times <see cref="Renderer.Render(RenderInput, RenderOptions)"/> ran (memo hits excluded).</param>
public sealed record DesiredStateResult(
    ImmutableArray<GeneratedObject> Objects,
    ImmutableDictionary<string, WorkloadRef> Requesters,
    ImmutableArray<RetainedScope> Retained,
    ImmutableArray<WorkloadProblem> Problems,
    int Renders);
