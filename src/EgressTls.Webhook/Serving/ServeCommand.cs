using EgressTls.Webhook.Admission;
using EgressTls.Webhook.CommandLine;
using EgressTls.Webhook.Configuration;

namespace EgressTls.Webhook.Serving;

/// <summary><c>egress-tls serve [--config FILE] [--standalone]</c>.</summary>
internal static class ServeCommand
{
    public const string Usage = """
        usage: egress-tls serve [--config FILE] [--kubeconfig FILE] [--standalone]

        Serves the admission webhook: POST /mutate, /healthz and /readyz over HTTPS on server.port (8443),
        and /metrics, /healthz and /readyz over plain HTTP on server.metricsPort (9090).

          --config FILE   JSON configuration (see README.md); defaults apply to everything not given.
                          The environment variable POD_NAMESPACE overrides "namespace".
          --kubeconfig FILE  the cluster to use (default: in-cluster service account, else the first
                          existing file of KUBECONFIG, else ~/.kube/config)
          --standalone    serve without a cluster: namespaces are assumed opted in, referenced Secrets
                          are assumed to exist, nothing is created. Implied when there is no cluster
                          configuration: no --kubeconfig, KUBERNETES_SERVICE_HOST, KUBECONFIG or ~/.kube/config.
          -h, --help      show this help

        Without server.certFile/server.keyFile an ephemeral self-signed certificate is used (local testing).
        Exit codes: 0 stopped cleanly, 2 invalid command line or configuration.
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        var parsed = ParsedArguments.Parse(args,
            new Dictionary<string, string> { ["--config"] = "the path of a JSON configuration file", ["--kubeconfig"] = "the path of a kubeconfig file" }, new HashSet<string> { "--standalone", "--help" },
            new Dictionary<string, string> { ["-h"] = "--help", ["-c"] = "--config" });
        if (parsed.Has("--help"))
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return 0;
        }

        WebhookConfig config;
        try
        {
            config = ConfigLoader.Load(parsed.Get("--config"), environment);
        }
        catch (ConfigException ex)
        {
            await stderr.WriteLineAsync($"egress-tls serve: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        var cluster = parsed.Has("--standalone") ? null : ClusterSource.Find(parsed.Get("--kubeconfig"), environment);
        var standalone = cluster is null;
        string? unavailable = null;
        try
        {
            await using var app = WebhookHost.Build(new ServeSettings(config, standalone), services =>
            {
                if (cluster is not null && !ClusterServices.TryAdd(services, config, cluster, out var reason))
                {
                    unavailable = reason;
                }
            });
            if (unavailable is not null)
            {
                await stderr.WriteLineAsync($"egress-tls serve: {unavailable}").ConfigureAwait(false);
                return 2;
            }

            await app.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (ConfigException ex)
        {
            await stderr.WriteLineAsync($"egress-tls serve: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
    }
}
