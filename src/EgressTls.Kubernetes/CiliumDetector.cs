using System.Net;
using EgressTls.Core.Rendering;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Kubernetes;

/// <summary>
/// Reads <c>kube-system/cilium-config</c> and the <c>kube-system/cilium</c> DaemonSet (exactly those two objects,
/// as the chart's RBAC allows when <c>cilium.secretsMode=auto</c>) and decides the Cilium target with
/// <see cref="CiliumConfigInterpreter"/>. Anything unreadable (404, 403, timeout) falls back to configuration
/// with a log line; detection never stops the webhook.
/// </summary>
public sealed class CiliumDetector(IKubernetes client, ApiCallPipeline pipeline, ILogger<CiliumDetector>? logger = null)
{
    private readonly ILogger log = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Detects the target; <paramref name="detectSecretsMode"/> is true when config says <c>auto</c>.</summary>
    public async Task<CiliumDetection> DetectAsync(CiliumTarget configured, bool detectSecretsMode, CancellationToken cancellationToken)
    {
        var config = await TryAsync<IReadOnlyDictionary<string, string>>("ConfigMap kube-system/cilium-config", async c =>
            (IReadOnlyDictionary<string, string>?)(await client.CoreV1.ReadNamespacedConfigMapAsync("cilium-config", "kube-system", cancellationToken: c).ConfigureAwait(false)).Data
            ?? new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        var image = await TryAsync<string>("DaemonSet kube-system/cilium", async c =>
        {
            var ds = await client.AppsV1.ReadNamespacedDaemonSetAsync("cilium", "kube-system", cancellationToken: c).ConfigureAwait(false);
            var containers = ds.Spec?.Template?.Spec?.Containers ?? [];
            return (containers.FirstOrDefault(x => x.Name == "cilium-agent") ?? containers.FirstOrDefault())?.Image;
        }, cancellationToken).ConfigureAwait(false);

        var detection = CiliumConfigInterpreter.Interpret(configured, detectSecretsMode, config, image);
        foreach (var note in detection.Notes)
        {
            log.LogInformation("Cilium detection: {Note}", note);
        }

        return detection;
    }

    private async Task<T?> TryAsync<T>(string what, Func<CancellationToken, Task<T?>> read, CancellationToken ct)
        where T : class
    {
        try
        {
            return await pipeline.ReadAsync(async c => await read(c).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException)
        {
            var status = ApiCallPipeline.StatusOf(e);
            log.LogWarning("Cilium detection: cannot read {Object} ({Status}); falling back to configuration", what,
                status is { } s ? $"{(int)s} {s}" : e.GetType().Name);
            if (e is OperationCanceledException && ct.IsCancellationRequested)
            {
                throw;
            }

            return null;
        }
    }
}
