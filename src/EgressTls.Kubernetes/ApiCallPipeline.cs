using System.Globalization;
using System.Net;
using k8s.Autorest;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace EgressTls.Kubernetes;

/// <summary>
/// Polly.Core pipelines for API calls: retries with jittered exponential backoff on 429, 5xx, transport
/// errors and attempt timeouts, honouring Retry-After (capped); a per-attempt timeout; the overall budget is
/// the caller's token (admission passes a bounded share of the webhook timeout). Three kinds of call: reads,
/// idempotent writes (server-side apply, where 404 and 409 are passing states worth retrying) and conditional
/// writes (a delete with preconditions, a create, a patch of something that may be gone), where 404 and 409 are
/// the answer and go straight back to the caller.
/// </summary>
public sealed class ApiCallPipeline
{
    private readonly ResiliencePipeline reads;
    private readonly ResiliencePipeline writes;
    private readonly ResiliencePipeline conditionalWrites;

    /// <summary>Builds the pipelines.</summary>
    public ApiCallPipeline(ApiRetryOptions? options = null, TimeProvider? timeProvider = null)
    {
        Options = options ?? new ApiRetryOptions();
        reads = Build(Options, timeProvider, retryNotFoundAndConflict: false);
        writes = Build(Options, timeProvider, retryNotFoundAndConflict: true);
        conditionalWrites = Build(Options, timeProvider, retryNotFoundAndConflict: false);
    }

    /// <summary>The options in force.</summary>
    public ApiRetryOptions Options { get; }

    /// <summary>Runs a read: 404 and 409 are answers, not retried.</summary>
    public ValueTask<T> ReadAsync<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken) =>
        reads.ExecuteAsync(call, cancellationToken);

    /// <summary>Runs an idempotent write (server-side apply): 404 (namespace or CRD still being created) and
    /// 409 (a concurrent writer) are retried too.</summary>
    public ValueTask<T> WriteAsync<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken) =>
        writes.ExecuteAsync(call, cancellationToken);

    /// <summary>Runs a write whose 404 and 409 are final: a delete with a uid or resourceVersion precondition
    /// (409: the object changed), a create (409: AlreadyExists), a patch of an object that may be gone (404).
    /// Retried on 429, 5xx, transport errors and attempt timeouts only.</summary>
    public ValueTask<T> ConditionalWriteAsync<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken) =>
        conditionalWrites.ExecuteAsync(call, cancellationToken);

    /// <summary>True for failures worth another attempt.</summary>
    public static bool IsTransient(Exception exception, bool retryNotFoundAndConflict) => exception switch
    {
        HttpOperationException h => StatusOf(h) is { } code && IsTransientStatus(code, retryNotFoundAndConflict),
        HttpRequestException or IOException or TimeoutRejectedException => true,
        _ => false,
    };

    /// <summary>The HTTP status of an API error, or null.</summary>
    public static HttpStatusCode? StatusOf(Exception exception) =>
        exception is HttpOperationException { Response: { } r } ? r.StatusCode : null;

    /// <summary>The delay a Retry-After header value asks for (seconds or an HTTP date), or null.</summary>
    public static TimeSpan? ParseRetryAfter(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at > now ? at - now : TimeSpan.Zero
            : null;
    }

    private static bool IsTransientStatus(HttpStatusCode code, bool retryNotFoundAndConflict) =>
        code is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout ||
        (int)code >= 500 ||
        (retryNotFoundAndConflict && code is HttpStatusCode.NotFound or HttpStatusCode.Conflict);

    private static ResiliencePipeline Build(ApiRetryOptions options, TimeProvider? timeProvider, bool retryNotFoundAndConflict)
    {
        var builder = new ResiliencePipelineBuilder();
        if (timeProvider is not null)
        {
            builder.TimeProvider = timeProvider;
        }

        var clock = timeProvider ?? TimeProvider.System;
        return builder
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e && !args.Context.CancellationToken.IsCancellationRequested && IsTransient(e, retryNotFoundAndConflict)),
                DelayGenerator = args =>
                {
                    // Honour the API server's Retry-After (429 from API Priority and Fairness), capped so it
                    // cannot exceed what the caller would wait anyway.
                    var header = args.Outcome.Exception is HttpOperationException { Response: { } r } &&
                                 r.Headers.TryGetValue("Retry-After", out var values)
                        ? values.FirstOrDefault()
                        : null;
                    var delay = ParseRetryAfter(header, clock.GetUtcNow());
                    return ValueTask.FromResult(delay is { } d ? (TimeSpan?)(d > options.MaxDelay ? options.MaxDelay : d) : null);
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }
}
