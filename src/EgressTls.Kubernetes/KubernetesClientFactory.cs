using k8s;

namespace EgressTls.Kubernetes;

/// <summary>Builds the API client: in-cluster service account, a kubeconfig, or an explicit host (tests).</summary>
public static class KubernetesClientFactory
{
    /// <summary>
    /// The client for where this process runs: in-cluster configuration when the service account token and
    /// <c>KUBERNETES_SERVICE_HOST</c> are present, else the kubeconfig named by <paramref name="kubeconfigPath"/>,
    /// <c>KUBECONFIG</c> or <c>~/.kube/config</c>; <c>null</c> when there is none (the host then runs standalone).
    /// </summary>
    public static IKubernetes? TryCreateFromEnvironment(string? kubeconfigPath = null)
    {
        if (kubeconfigPath is null && KubernetesClientConfiguration.IsInCluster())
        {
            return new k8s.Kubernetes(KubernetesClientConfiguration.InClusterConfig());
        }

        var path = kubeconfigPath
            ?? Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists)
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        return File.Exists(path) ? new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path)) : null;
    }

    /// <summary>A client for an explicit API endpoint without authentication (the test stand-in).</summary>
    public static IKubernetes ForHost(Uri host) =>
        new k8s.Kubernetes(new KubernetesClientConfiguration { Host = host.ToString() });
}
