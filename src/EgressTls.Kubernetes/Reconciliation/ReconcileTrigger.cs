namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>
/// The reconciler's work queue: one pending pass at most. Any number of signals before the next pass starts
/// coalesce into that one pass (the pass re-reads everything from the caches, so nothing is lost).
/// </summary>
public sealed class ReconcileTrigger
{
    private readonly Lock gate = new();
    private TaskCompletionSource pending = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long signals;

    /// <summary>Signals received so far.</summary>
    public long Signals => Interlocked.Read(ref signals);

    /// <summary>Asks for a pass.</summary>
    public void Signal()
    {
        Interlocked.Increment(ref signals);
        lock (gate)
        {
            pending.TrySetResult();
        }
    }

    /// <summary>Waits until a pass is asked for or <paramref name="timeout"/> passes; true when asked. Consumes
    /// the request.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        Task task;
        lock (gate)
        {
            task = pending.Task;
        }

        var signalled = true;
        try
        {
            await task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            signalled = false;
        }

        lock (gate)
        {
            if (pending.Task.IsCompleted)
            {
                pending = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        return signalled;
    }
}
