using EgressTls.Kubernetes;
using k8s;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Security;

namespace EgressTls.Webhook.Cluster;

/// <summary>
/// Starts the Kubernetes side after Kestrel listens (so /healthz answers and /readyz explains why it is 503):
/// CA load-or-create, Cilium detection, namespace informer. An unreachable API server or a missing import
/// Secret is retried with capped exponential backoff, one warning per attempt; the process never exits for it
/// (a crash loop would only add restarts to an outage), and /readyz stays 503 with the reason. Once connected,
/// it follows the CA Secret for CA rotation until shutdown.
/// </summary>
internal sealed class ClusterStartupService(
    ClusterConnection connection,
    CurrentRenderOptions renderOptions,
    IKubernetes client,
    KubernetesShellOptions options,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    private readonly ILogger logger = loggers.CreateLogger("EgressTls.Webhook.Cluster");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = FirstDelay;
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                var shell = await KubernetesShell.StartAsync(client, options, time, new SecureRandom(), loggers, stoppingToken).ConfigureAwait(false);
                foreach (var note in shell.Cilium.Notes)
                {
                    logger.LogInformation("Cilium: {Note}", note);
                }

                renderOptions.Value = renderOptions.Value with { Cilium = shell.Cilium.Target };
                connection.Status = "waiting for the namespace cache to sync";
                connection.Shell = shell;
                await shell.Namespaces.WaitForSyncAsync(stoppingToken).ConfigureAwait(false);
                logger.LogInformation(
                    "Connected to the Kubernetes API at {Host}: CA {CaState}, Cilium {CiliumVersion} secrets mode {SecretsMode}, namespace cache synced",
                    client.BaseUri, shell.Material is null ? "from cert-manager" : "loaded", shell.Cilium.Target.Version, shell.Cilium.Target.SecretsMode);

                // Every replica follows the CA Secret (and takes its turn in a rotation) for as long as it runs.
                await shell.RunCaRotationAsync(stoppingToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                connection.Status = $"cannot start against the Kubernetes API at {client.BaseUri}: {Describe(ex)}";
                logger.LogWarning(
                    "Cannot start against the Kubernetes API at {Host} (attempt {Attempt}): {Error}; retrying in {DelaySeconds}s, /readyz stays 503 until then",
                    client.BaseUri, attempt, Describe(ex), delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = delay * 2 > MaxDelay ? MaxDelay : delay * 2;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (connection.Shell is { } shell)
        {
            await shell.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Type and message only: API errors carry Status text, never object data.
    private static string Describe(Exception ex) => ex switch
    {
        k8s.Autorest.HttpOperationException { Response: { } r } => $"the API server answered {(int)r.StatusCode} {r.StatusCode}",
        HttpRequestException or IOException => "the API server could not be reached (" + ex.Message + ")",
        _ => ex.Message,
    };
}
