using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EgressTls.Webhook.Serving;

/// <summary>
/// The drain before the listeners close. Kubernetes removes a terminating pod from the Service's endpoints
/// at the same time as it sends SIGTERM, and the API server, kube-proxy and the webhook's callers learn of
/// it only some seconds later: a port closed at SIGTERM refuses admissions in that window, which with
/// <c>failurePolicy: Fail</c> denies opted-in pods during every rollout and node drain. So on shutdown
/// <c>/readyz</c> fails at once, every request is still served for <c>server.shutdownDelay</c>, and only
/// then does the host stop Kestrel, which closes the listeners and lets requests in flight finish within
/// <c>server.shutdownTimeout</c>. The image has no shell for a <c>preStop</c> sleep; this is the same
/// drain the Linkerd and Istio proxies do in-process.
/// </summary>
internal sealed class ShutdownDrain(
    ServeSettings settings, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<ShutdownDrain> logger)
    : IHostedLifecycleService, IHealthCheck
{
    private int draining;

    /// <summary>True from the moment shutdown was asked for.</summary>
    public bool Draining => Volatile.Read(ref draining) == 1;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        // SIGTERM first stops the application lifetime, before the host begins stopping its services: readiness
        // fails from that moment, not from when the host gets to this service.
        lifetime.ApplicationStopping.Register(Begin);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs before any hosted service stops, Kestrel included: the listeners stay open for the delay.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        Begin();
        var delay = settings.Config.Server.ShutdownDelay;
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out first: stop now.
        }

        logger.LogInformation("Drained for {DelaySeconds}s; closing the listeners", delay.TotalSeconds);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Not ready while draining: endpoints drop this replica while it still answers.</summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Draining ? HealthCheckResult.Unhealthy("shutting down: still serving until the endpoints drop this replica") : HealthCheckResult.Healthy());

    private void Begin()
    {
        if (Interlocked.Exchange(ref draining, 1) == 0)
        {
            logger.LogInformation(
                "Shutting down: /readyz fails from now on and requests are still served for {DelaySeconds}s (server.shutdownDelay); "
                + "then the listeners close and requests in flight get up to {TimeoutSeconds}s (server.shutdownTimeout)",
                settings.Config.Server.ShutdownDelay.TotalSeconds, settings.Config.Server.ShutdownTimeout.TotalSeconds);
        }
    }
}
