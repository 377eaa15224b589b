using EgressTls.Kubernetes.ServingCertificate;
using EgressTls.Webhook.Serving;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EgressTls.Webhook.Cluster;

/// <summary>
/// <c>servingCertificate.mode: self-managed</c> in a cluster: syncs the serving certificate Secret and the
/// webhook configuration's caBundle every <see cref="ServingCertificateOptions.CheckInterval"/> (each replica
/// also picks up a certificate another replica rotated) and hands the certificate to Kestrel in memory.
/// Failures are retried with capped backoff; until the first success /readyz is 503.
/// </summary>
internal sealed class SelfManagedCertificateService(
    ServingCertificateManager manager, ServingCertificateOptions options, ServingCertificate certificate, TimeProvider time,
    ILogger<SelfManagedCertificateService> logger) : BackgroundService
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failureDelay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan next;
            try
            {
                var material = await manager.SyncAsync(stoppingToken).ConfigureAwait(false);
                certificate.Supply(material.Certificate.CertificatePem, material.Certificate.PrivateKeyPem);
                next = options.CheckInterval;
                failureDelay = TimeSpan.FromSeconds(1);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                certificate.WaitingFor = $"the serving certificate Secret {options.Namespace}/{options.SecretName}: {ex.GetType().Name}";
                logger.LogWarning("Cannot sync the serving certificate Secret {Namespace}/{Name}: {Error}; retrying in {DelaySeconds}s",
                    options.Namespace, options.SecretName, ex.Message, failureDelay.TotalSeconds);
                next = failureDelay;
                failureDelay = failureDelay * 2 > MaxDelay ? MaxDelay : failureDelay * 2;
            }

            try
            {
                await Task.Delay(next, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
