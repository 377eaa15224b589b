using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;
using Microsoft.Extensions.Logging;

namespace EgressTls.Webhook.Admission;

/// <summary>Applies nothing: in standalone mode there is no cluster to write to.</summary>
internal sealed class StandaloneDesiredStateApplier(ILogger<StandaloneDesiredStateApplier> logger) : IDesiredStateApplier
{
    public Task ApplyAsync(IReadOnlyList<GeneratedObject> objects, CancellationToken cancellationToken)
    {
        logger.LogDebug("Standalone: not applying {Objects} generated objects", objects.Count);
        return Task.CompletedTask;
    }
}
