using System.Net.Sockets;
using System.Text.RegularExpressions;
using EgressTls.Webhook.Admission;
using EgressTls.Webhook.CommandLine;
using EgressTls.Webhook.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;

namespace EgressTls.Webhook.Serving;

/// <summary><c>egress-tls serve [--config FILE] [--standalone]</c>.</summary>
internal static partial class ServeCommand
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
        On SIGTERM or Ctrl-C /readyz fails at once, requests are still served for server.shutdownDelay (5s),
        then the listeners close and requests in flight get server.shutdownTimeout (10s) to finish.
        Exit codes: 0 stopped cleanly, 2 invalid command line or configuration (including a port that cannot
        be listened on, named by its field).
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

            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ListenFailure(ex, config) is { } failure)
            {
                await stderr.WriteLineAsync($"egress-tls serve: {failure}").ConfigureAwait(false);
                return 2;
            }

            await app.WaitForShutdownAsync().ConfigureAwait(false);
            return 0;
        }
        catch (ConfigException ex)
        {
            await stderr.WriteLineAsync($"egress-tls serve: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
    }

    // A port that cannot be listened on is a configuration matter (another process has it, or it needs a
    // privilege), named by its field. Kestrel names the address it failed on ("Failed to bind to address
    // https://[::]:8443: address already in use."): https is server.port, http server.metricsPort.
    private static string? ListenFailure(Exception ex, WebhookConfig config)
    {
        var socket = ex as SocketException ?? ex.InnerException as SocketException;
        var inUse = ex.InnerException is AddressInUseException || socket?.SocketErrorCode == SocketError.AddressAlreadyInUse;
        if (!inUse && socket is null)
        {
            return null;
        }

        var address = BindAddressPattern().Match(ex.Message);
        var field = !address.Success ? null : address.Groups[1].Value == "https" ? "server.port" : "server.metricsPort";
        var port = field is null ? null : address.Groups[2].Value;
        var problem = inUse ? "is already in use by another process" : $"cannot be listened on: {socket!.Message}";
        return field is null
            ? $"server.port ({config.Server.Port}) or server.metricsPort ({config.Server.MetricsPort}): a port {problem}; expected free ports"
            : $"{field}: port {port} {problem}; expected a free port (set {field} in the configuration)";
    }

    [GeneratedRegex(@"\b(https?)://\S+:(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex BindAddressPattern();
}
