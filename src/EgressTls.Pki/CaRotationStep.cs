using System.Collections.Immutable;

namespace EgressTls.Pki;

/// <summary>The state after <see cref="CaRotationPlanner.Advance"/> and what changed, in words (for logs and Events).</summary>
/// <param name="State">The new state (the same instance when nothing changed).</param>
/// <param name="Changes">One sentence per transition taken; empty when none was due.</param>
public sealed record CaRotationStep(CaRotation State, ImmutableArray<string> Changes)
{
    /// <summary>True when at least one transition was taken and the state must be stored.</summary>
    public bool Changed => !Changes.IsEmpty;
}
