using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace EgressTls.Webhook.Admission;

/// <summary>
/// <c>POST /mutate</c>: HTTP concerns around <see cref="AdmissionHandler"/> (content type, body limit,
/// parsing) and the one Information log line per decision (<see cref="DecisionLine"/>). Malformed input is answered 400 (415 for a
/// non-JSON content type, 413 over the limit) with a plain-text reason.
/// </summary>
internal sealed partial class MutateEndpoint(
    AdmissionHandler handler,
    AdmissionSettings settings,
    TimeProvider time,
    DecisionLog decisions,
    ILogger<MutateEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var started = time.GetTimestamp();
        var request = context.Request;
        if (!IsJson(request.ContentType))
        {
            await RefuseAsync(context, StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type must be application/json, found {(string.IsNullOrEmpty(request.ContentType) ? "none" : request.ContentType)}").ConfigureAwait(false);
            return;
        }

        var limit = settings.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge,
                $"request body of {request.ContentLength} bytes exceeds the limit of {limit} bytes (server.maxRequestBodyBytes)").ConfigureAwait(false);
            return;
        }

        // The body goes into a pooled array; the request data refers to it (no copies), so it is returned
        // only once the answer is written.
        PooledBody? body = null;
        try
        {
            try
            {
                // Kestrel enforces the limit for chunked bodies too, while reading.
                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
                {
                    sizeFeature.MaxRequestBodySize = limit;
                }

                body = await PooledBody.ReadAsync(request.Body, ArrayPool<byte>.Shared,
                    request.ContentLength is > 0 and <= MaxInitialBuffer ? (int)request.ContentLength.Value : 16 * 1024,
                    context.RequestAborted).ConfigureAwait(false);
            }
            catch (BadHttpRequestException ex)
            {
                var reason = ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? $"request body exceeds the limit of {limit} bytes (server.maxRequestBodyBytes)"
                    : $"cannot read the request body: {ex.Message}";
                await RefuseAsync(context, ex.StatusCode, reason).ConfigureAwait(false);
                return;
            }

            if (!AdmissionReviewReader.TryRead(body.Memory, out var admission, out var problem) || admission is null)
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, problem).ConfigureAwait(false);
                return;
            }

            using var owned = admission;
            var outcome = await handler.HandleAsync(admission, context.RequestAborted).ConfigureAwait(false);
            await RespondAsync(context, admission.Uid, outcome).ConfigureAwait(false);

            var elapsed = time.GetElapsedTime(started);
            AdmissionMetrics.Decisions.WithLabels(outcome.Decision, outcome.Reason).Inc();
            AdmissionMetrics.Duration.Observe(elapsed.TotalSeconds);
            if (decisions.IsEnabled)
            {
                var activity = System.Diagnostics.Activity.Current;
                decisions.Write(new DecisionLine(
                    time.GetUtcNow(), admission.Uid, admission.Kind, admission.Namespace, admission.Name, admission.GenerateName,
                    admission.Operation, admission.DryRun, outcome.Decision, outcome.Reason, outcome.Patch.Length, outcome.ObjectCount,
                    Math.Round(elapsed.TotalMilliseconds, 1), activity?.TraceId ?? default, activity?.SpanId ?? default,
                    context.TraceIdentifier, request.Path.Value ?? "", context.Connection.Id));
            }
        }
        finally
        {
            body?.Dispose();
        }
    }

    private const int MaxInitialBuffer = 1 << 20;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? responseBuffer;

    // The answer is built in a per-thread buffer (synchronously, before any await) so Content-Length is known
    // and the bytes go to the connection in one write.
    private static async Task RespondAsync(HttpContext context, string uid, AdmissionOutcome outcome)
    {
        var buffer = responseBuffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        AdmissionResponseWriter.Write(buffer, uid, outcome);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = buffer.WrittenCount;
        response.BodyWriter.Write(buffer.WrittenSpan);
        if (buffer.Capacity > 256 * 1024)
        {
            responseBuffer = null; // a rare huge answer does not stay pinned to the thread
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private async Task RefuseAsync(HttpContext context, int status, string reason)
    {
        LogRefused(status, reason);
        AdmissionMetrics.Refused.WithLabels(status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(reason + "\n", Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && parsed.MediaType is { } type
        && (type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        && (parsed.CharSet is null || parsed.CharSet.Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused an admission request with HTTP {StatusCode}: {Reason}")]
    private partial void LogRefused(int statusCode, string reason);
}
