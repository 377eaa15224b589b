using EgressTls.Core.Rendering;

namespace EgressTls.Webhook.Cluster;

/// <summary>
/// The render options admission uses now: those of the config file, refined once in a cluster by Cilium
/// detection (<c>cilium.secretsMode: auto</c> reads <c>kube-system/cilium-config</c>, cilium-facts 2.1), which
/// finishes after Kestrel already listens.
/// </summary>
internal sealed class CurrentRenderOptions(RenderOptions initial)
{
    private RenderOptions value = initial;

    public RenderOptions Value
    {
        get => Volatile.Read(ref value);
        set => Volatile.Write(ref this.value, value);
    }
}
