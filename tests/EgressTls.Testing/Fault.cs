namespace EgressTls.Testing;

/// <summary>
/// A fault the <see cref="StandInApiServer"/> injects into matching requests, at most
/// <see cref="Times"/> times (then it is spent). Matching is by verb (<c>get</c>, <c>list</c>, <c>watch</c>,
/// <c>create</c>, <c>update</c>, <c>apply</c>, <c>patch</c>, <c>delete</c>) and resource plural; <c>null</c>
/// matches everything.
/// </summary>
public sealed record Fault
{
    /// <summary>The kind of fault.</summary>
    public required FaultKind Kind { get; init; }

    /// <summary>Verb to match, or <c>null</c> for all.</summary>
    public string? Verb { get; init; }

    /// <summary>Resource plural to match (e.g. <c>secrets</c>), or <c>null</c> for all.</summary>
    public string? Resource { get; init; }

    /// <summary>How many matching requests are affected.</summary>
    public int Times { get; init; } = 1;

    /// <summary>For <see cref="FaultKind.Latency"/>: the delay added before the request is served normally.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>For <see cref="FaultKind.TooManyRequests"/>: the Retry-After header in seconds (0 = none).</summary>
    public int RetryAfterSeconds { get; init; }

    /// <summary>A 429 with Retry-After.</summary>
    public static Fault TooManyRequests(string? verb = null, string? resource = null, int times = 1, int retryAfterSeconds = 1) =>
        new() { Kind = FaultKind.TooManyRequests, Verb = verb, Resource = resource, Times = times, RetryAfterSeconds = retryAfterSeconds };

    /// <summary>A 500 InternalError.</summary>
    public static Fault ServerError(string? verb = null, string? resource = null, int times = 1) =>
        new() { Kind = FaultKind.ServerError, Verb = verb, Resource = resource, Times = times };

    /// <summary>The connection is aborted without a response.</summary>
    public static Fault DropConnection(string? verb = null, string? resource = null, int times = 1) =>
        new() { Kind = FaultKind.DropConnection, Verb = verb, Resource = resource, Times = times };

    /// <summary>The request is served, then the connection is aborted before the answer.</summary>
    public static Fault DropResponse(string? verb = null, string? resource = null, int times = 1) =>
        new() { Kind = FaultKind.DropResponse, Verb = verb, Resource = resource, Times = times };

    /// <summary>A 409 Conflict, as if another writer had changed the object.</summary>
    public static Fault Conflict(string? verb = null, string? resource = null, int times = 1) =>
        new() { Kind = FaultKind.Conflict, Verb = verb, Resource = resource, Times = times };

    /// <summary>A 404 NotFound, as if the resource or namespace did not exist (yet).</summary>
    public static Fault NotFound(string? verb = null, string? resource = null, int times = 1) =>
        new() { Kind = FaultKind.NotFound, Verb = verb, Resource = resource, Times = times };

    /// <summary>Added latency; the request is then served normally.</summary>
    public static Fault Latency(TimeSpan delay, string? verb = null, string? resource = null, int times = 1) =>
        new() { Kind = FaultKind.Latency, Delay = delay, Verb = verb, Resource = resource, Times = times };
}
