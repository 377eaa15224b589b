using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Kubernetes;
using EgressTls.Kubernetes.ServingCertificate;
using EgressTls.Testing;
using EgressTls.Webhook.Admission;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EgressTls.Webhook.Tests.Cluster;

/// <summary>The real host (Kestrel, real TLS) in cluster mode against a stand-in API server seeded with an
/// opted-in namespace, a client certificate Secret and the chart's MutatingWebhookConfiguration.</summary>
internal sealed class ClusterHost : IAsyncDisposable
{
    public const string ClientCertificateData = "Y2xpZW50LWNlcnRpZmljYXRlLWJ5dGVz";
    public const string ClientKeyData = "Y2xpZW50LWtleS1ieXRlcy1zZWNyZXQ=";

    private ClusterHost(StandInApiServer api, WebhookServer server, ManualClock clock)
    {
        Api = api;
        Server = server;
        Clock = clock;
    }

    public StandInApiServer Api { get; }

    public WebhookServer Server { get; }

    public ManualClock Clock { get; }

    public static WebhookConfig Config(TimeSpan budget) => new()
    {
        Namespace = "egress-tls",
        Cilium = new CiliumConfig { Version = "1.17", SecretsMode = "sds" },
        Admission = new AdmissionConfig { ApplyTimeout = budget },

        // These tests count admission's own writes; the reconciler (lease renewals, repairs) is tested on its own.
        Reconciler = new ReconcilerConfig { Enabled = false },
    };

    public static async Task<ClusterHost> StartAsync(TimeSpan? budget = null, ServingCertificateOptions? serving = null, StandInApiServer? api = null,
        Func<WebhookConfig, WebhookConfig>? configure = null)
    {
        api ??= await StandInApiServer.StartAsync();
        Seed(api);
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var config = Config(budget ?? TimeSpan.FromSeconds(4));
        config = configure?.Invoke(config) ?? config;
        var server = await WebhookServer.StartAsync(config, standalone: false, services: services =>
        {
            ClusterServices.TryAdd(services, config, () => KubernetesClientFactory.ForHost(api.Url), out var reason).Should().BeTrue(reason);
            services.AddSingleton<TimeProvider>(clock);
            if (serving is not null)
            {
                services.AddSingleton(serving);
            }
        });
        return new ClusterHost(api, server, clock);
    }

    public static void Seed(StandInApiServer api)
    {
        api.Seed(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = "team-a", ["labels"] = new JsonObject { ["egress-tls.io/enabled"] = "true" } },
        });
        api.Seed(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "client-cert", ["namespace"] = "team-a" },
            ["type"] = "kubernetes.io/tls",
            ["data"] = new JsonObject { ["tls.crt"] = ClientCertificateData, ["tls.key"] = ClientKeyData },
        });
        api.Seed(new JsonObject
        {
            ["apiVersion"] = "admissionregistration.k8s.io/v1",
            ["kind"] = "MutatingWebhookConfiguration",
            ["metadata"] = new JsonObject { ["name"] = "egress-tls" },
            ["webhooks"] = new JsonArray(Webhook("pods.egress-tls.io"), Webhook("providers.egress-tls.io")),
        }, "helm");
    }

    public static JsonObject PodAnnotations(string host = "api.github.com") => new()
    {
        ["egress-tls.io/intercept"] = host,
        ["egress-tls.io/mtls"] = "backend.example.test:8443 cert=client-cert",
    };

    /// <summary>Polls /readyz on the metrics port until 200 (or fails after <paramref name="timeout"/>).</summary>
    public async Task WaitReadyAsync(TimeSpan? timeout = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Server.MetricsPort}") };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            var response = await http.GetAsync("/readyz");
            last = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("/readyz never became 200: " + last);
    }

    public async Task<(HttpStatusCode Status, string Body)> ReadyzAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Server.MetricsPort}") };
        var response = await http.GetAsync("/readyz");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public List<string> CaBundles() =>
        [.. Api.Find("mutatingwebhookconfigurations", null, "egress-tls")!["webhooks"]!.AsArray()
            .Select(w => (string?)w!["clientConfig"]!["caBundle"] is { } b ? Encoding.UTF8.GetString(Convert.FromBase64String(b)) : "")];

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Api.DisposeAsync();
    }

    private static JsonObject Webhook(string name) => new()
    {
        ["name"] = name,
        ["clientConfig"] = new JsonObject { ["service"] = new JsonObject { ["name"] = "egress-tls", ["namespace"] = "egress-tls", ["path"] = "/mutate" } },
        ["sideEffects"] = "NoneOnDryRun",
        ["admissionReviewVersions"] = new JsonArray("v1"),
    };
}
