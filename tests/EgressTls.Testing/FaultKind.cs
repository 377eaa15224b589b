namespace EgressTls.Testing;

/// <summary>What a <see cref="Fault"/> does to a request.</summary>
public enum FaultKind
{
    /// <summary>Delay, then serve normally.</summary>
    Latency,

    /// <summary>429 TooManyRequests with a Retry-After header.</summary>
    TooManyRequests,

    /// <summary>500 InternalError.</summary>
    ServerError,

    /// <summary>Abort the connection without a response.</summary>
    DropConnection,

    /// <summary>Serve the request (the change is stored), then abort the connection before the answer: the
    /// client cannot know its write succeeded.</summary>
    DropResponse,

    /// <summary>409 Conflict.</summary>
    Conflict,

    /// <summary>404 NotFound.</summary>
    NotFound,
}
