using EgressTls.Kubernetes;

namespace EgressTls.Webhook.Cluster;

/// <summary>
/// The Kubernetes side once it has started (<see cref="ClusterStartupService"/>), and why it has not yet:
/// admission and readiness read it; it is null until the CA is loaded, Cilium detected and the namespace
/// informer running.
/// </summary>
internal sealed class ClusterConnection
{
    private KubernetesShell? shell;
    private string status = "connecting to the Kubernetes API";

    public KubernetesShell? Shell
    {
        get => Volatile.Read(ref shell);
        set => Volatile.Write(ref shell, value);
    }

    /// <summary>Why the connection is not ready (the last start-up error), for /readyz and denials.</summary>
    public string Status
    {
        get => Volatile.Read(ref status);
        set => Volatile.Write(ref status, value);
    }

    /// <summary>The started shell, or an <see cref="ApplyException"/> fit for a denial.</summary>
    public KubernetesShell Require() =>
        Shell ?? throw new ApplyException($"egress-tls is not connected to the Kubernetes API yet ({Status})");
}
