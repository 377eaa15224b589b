namespace EgressTls.LoadBench.Workload;

/// <summary>How serve's admission memo treats a body's requests once warm (read from its memo counters
/// around every cell): the table shows the share answered from the memo, and the smoke run fails when a
/// body does not get the path it is meant to measure.</summary>
public enum MemoExpectation
{
    /// <summary>Not a pod being rendered (nothing to do, or a Provider): the memo may answer or not.</summary>
    Any,

    /// <summary>Every request answered from the memo (pods of one template).</summary>
    Hit,

    /// <summary>No request answered from the memo (every request a pod never seen before: the cold path).</summary>
    Miss,
}
