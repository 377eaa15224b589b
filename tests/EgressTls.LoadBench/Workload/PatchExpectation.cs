namespace EgressTls.LoadBench.Workload;

/// <summary>What a correct answer of the real server carries for a body (the floor never patches).</summary>
public enum PatchExpectation
{
    /// <summary>Allowed with a non-empty JSONPatch.</summary>
    Patch,

    /// <summary>Allowed without a patch.</summary>
    NoPatch,

    /// <summary>Allowed, with or without a patch (a kind whose handling may be switched off by configuration).</summary>
    Any,
}
