using EgressTls.Webhook.CommandLine;

namespace EgressTls.Webhook.Serving;

/// <summary>
/// Where <c>serve</c> gets its Kubernetes client configuration, found as kubectl finds it: <c>--kubeconfig</c>,
/// else the in-cluster service account (<c>KUBERNETES_SERVICE_HOST</c>), else the first existing file of
/// <c>KUBECONFIG</c>, else <c>~/.kube/config</c>. Deciding it here, from the same environment the command
/// reads, keeps "is there a cluster" (standalone or not) and "which client" one answer.
/// </summary>
/// <param name="KubeconfigPath">The kubeconfig file to use; <c>null</c> for the in-cluster service account.</param>
/// <param name="Description">Where it came from, for messages.</param>
internal sealed record ClusterSource(string? KubeconfigPath, string Description)
{
    /// <summary>The configured cluster, or <c>null</c> when there is none (serve then runs standalone).</summary>
    /// <param name="kubeconfigOption">The value of <c>--kubeconfig</c>, if given.</param>
    /// <param name="environment">Reads environment variables (<c>KUBERNETES_SERVICE_HOST</c>, <c>KUBECONFIG</c>, <c>HOME</c>/<c>USERPROFILE</c>).</param>
    /// <exception cref="UsageException">The kubeconfig named by <c>--kubeconfig</c> or <c>KUBECONFIG</c> does not exist.</exception>
    public static ClusterSource? Find(string? kubeconfigOption, Func<string, string?> environment)
    {
        if (kubeconfigOption is not null)
        {
            if (!File.Exists(kubeconfigOption))
            {
                var what = Directory.Exists(kubeconfigOption) ? "is a directory" : "does not exist";
                throw new UsageException($"--kubeconfig: {kubeconfigOption} {what}; expected the path of a kubeconfig file");
            }

            return new ClusterSource(kubeconfigOption, $"the kubeconfig {kubeconfigOption} (--kubeconfig)");
        }

        if (!string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST")))
        {
            return new ClusterSource(null, "the in-cluster service account");
        }

        var list = environment("KUBECONFIG");
        if (!string.IsNullOrEmpty(list))
        {
            // kubectl merges the files of KUBECONFIG; the first existing one is the one with the current context
            // in every setup this serves (one cluster), and ~/.kube/config is not consulted while KUBECONFIG is set.
            var files = list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var first = files.FirstOrDefault(File.Exists)
                ?? throw new UsageException($"KUBECONFIG: no file of \"{list}\" exists; expected the path of a kubeconfig file (or KUBECONFIG unset)");
            return new ClusterSource(first, $"the kubeconfig {first} (KUBECONFIG)");
        }

        var home = environment("HOME") ?? environment("USERPROFILE");
        if (!string.IsNullOrEmpty(home))
        {
            var path = Path.Combine(home, ".kube", "config");
            if (File.Exists(path))
            {
                return new ClusterSource(path, $"the kubeconfig {path} (~/.kube/config)");
            }
        }

        return null;
    }
}
