using System.Collections.Immutable;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Cilium;

/// <summary>The Cilium and Envoy objects (and the Secrets they name) for one profile.</summary>
/// <param name="Objects">Objects in apply order.</param>
/// <param name="Warnings">What the user should know (e.g. what happens to the pod's other egress).</param>
/// <param name="Errors">Combinations the target Cilium cannot run, refused rather than generated.</param>
public sealed record CiliumGeneration(
    ImmutableArray<GeneratedObject> Objects,
    ImmutableArray<string> Warnings,
    ImmutableArray<FieldError> Errors);
