namespace EgressTls.Kubernetes;

/// <summary>How API calls are retried. The overall budget is the caller's cancellation token.</summary>
public sealed record ApiRetryOptions
{
    /// <summary>Retries after the first attempt (bounded further by the caller's budget).</summary>
    public int MaxRetries { get; init; } = 8;

    /// <summary>First backoff delay; grows exponentially with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Largest backoff delay, and the largest Retry-After honoured.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Timeout of one attempt (a hung connection must not eat the whole budget).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
