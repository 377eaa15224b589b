using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Kubernetes.ServingCertificate;
using EgressTls.Testing;
using EgressTls.Webhook.Tests.Support;

namespace EgressTls.Webhook.Tests.Cluster;

/// <summary>
/// The real host in cluster mode (Kestrel, real TLS, the real KubernetesClient) against the stand-in API
/// server: admission writes before it answers, dry-run and repeats write nothing, an unreachable API server
/// is a clear denial within the budget, the CA key stays in the webhook namespace and out of the logs, and
/// the self-managed serving certificate is created, published in caBundle and rotated.
/// </summary>
public sealed class ClusterEndToEndTests
{
    [Fact]
    public async Task A_pod_with_intercept_and_mtls_is_allowed_only_after_secrets_then_envoy_configs_then_the_policy_exist()
    {
        await using var host = await ClusterHost.StartAsync();
        await host.WaitReadyAsync();
        host.Api.ClearLog();

        var response = await ClusterModeTests.PostAsync(host.Server, Reviews.Pod("uid-first", ClusterHost.PodAnnotations()));
        var log = host.Api.RequestLog;

        response["allowed"]!.GetValue<bool>().Should().BeTrue(response.ToJsonString());
        response["patch"].Should().NotBeNull();
        var writes = log.Where(e => e.IsWrite).ToList();
        var lastSecret = writes.FindLastIndex(e => e.Resource is "secrets" or "configmaps");
        var firstEnvoy = writes.FindIndex(e => e.Resource == "ciliumenvoyconfigs");
        var lastEnvoy = writes.FindLastIndex(e => e.Resource == "ciliumenvoyconfigs");
        var firstPolicy = writes.FindIndex(e => e.Resource == "ciliumnetworkpolicies");
        lastSecret.Should().BeGreaterThanOrEqualTo(0);
        firstEnvoy.Should().BeGreaterThan(lastSecret, "Secrets come before the Envoy configs that name them");
        firstPolicy.Should().BeGreaterThan(lastEnvoy, "the policy comes last (Cilium PR #9897)");
        writes.Should().OnlyContain(e => e.FieldManager == "egress-tls" && !e.DryRun && e.StatusCode < 300);
        host.Api.All("secrets", "cilium-secrets").Should().ContainSingle(s => (string?)s["data"]!["tls.key"] == ClusterHost.ClientKeyData,
            "the client certificate is copied where Envoy reads it");
    }

    [Fact]
    public async Task A_dry_run_review_writes_nothing_and_a_second_pod_of_the_same_profile_makes_zero_writes()
    {
        await using var host = await ClusterHost.StartAsync();
        await host.WaitReadyAsync();
        host.Api.ClearLog();

        var dry = await ClusterModeTests.PostAsync(host.Server, Reviews.Pod("uid-dry", ClusterHost.PodAnnotations(), dryRun: true));
        dry["allowed"]!.GetValue<bool>().Should().BeTrue();
        host.Api.RequestLog.Where(e => e.IsWrite).Should().BeEmpty();

        await ClusterModeTests.PostAsync(host.Server, Reviews.Pod("uid-one", ClusterHost.PodAnnotations()));
        host.Api.ClearLog();
        var second = await ClusterModeTests.PostAsync(host.Server, Reviews.Pod("uid-two", ClusterHost.PodAnnotations()));

        second["allowed"]!.GetValue<bool>().Should().BeTrue();
        host.Api.RequestLog.Where(e => e.IsWrite).Should().BeEmpty();
    }

    // The Secrets are read after the annotations are parsed; Render then checks exactly those it was told to
    // read, so a Secret that exists is never reported missing, and a missing or unfit one is named.
    [Fact]
    public async Task Referenced_secrets_are_read_from_the_cluster_and_only_missing_or_unfit_ones_deny()
    {
        await using var host = await ClusterHost.StartAsync();
        host.Api.Seed(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "corp-root", ["namespace"] = "team-a" },
            ["data"] = new JsonObject { ["ca.crt"] = "Y2E=" },
        });
        await host.WaitReadyAsync();

        var upstreamOnly = await ClusterModeTests.PostAsync(host.Server, Reviews.Pod("uid-upstream", new JsonObject
        {
            ["egress-tls.io/upstream-ca"] = "corp-root",
            ["egress-tls.io/inject-ca"] = "true",
        }));
        var missing = await ClusterModeTests.PostAsync(host.Server, Reviews.Pod("uid-missing", new JsonObject
        {
            ["egress-tls.io/mtls"] = "backend.example.test:8443 cert=absent-cert",
        }));
        var unfit = await ClusterModeTests.PostAsync(host.Server, Reviews.Pod("uid-unfit", new JsonObject
        {
            ["egress-tls.io/mtls"] = "backend.example.test:8443 cert=corp-root",
        }));

        upstreamOnly["allowed"]!.GetValue<bool>().Should().BeTrue(upstreamOnly.ToJsonString());
        upstreamOnly["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).Should().Contain(w => w.Contains("upstream-ca has no effect"));
        missing["allowed"]!.GetValue<bool>().Should().BeFalse();
        missing["status"]!["message"]!.GetValue<string>().Should().Contain("Secret \"absent-cert\"").And.Contain("does not exist in namespace \"team-a\"");
        unfit["allowed"]!.GetValue<bool>().Should().BeFalse();
        unfit["status"]!["message"]!.GetValue<string>().Should().Contain("Secret \"corp-root\"").And.Contain("has type \"Opaque\"");
    }

    [Fact]
    public async Task An_unreachable_api_server_denies_with_a_clear_message_within_the_budget()
    {
        var budget = TimeSpan.FromSeconds(2);
        await using var host = await ClusterHost.StartAsync(budget);
        await host.WaitReadyAsync();
        host.Api.AddFault(Fault.DropConnection(times: 100_000));

        var watch = Stopwatch.StartNew();
        var response = await ClusterModeTests.PostAsync(host.Server, Reviews.Pod("uid-down", ClusterHost.PodAnnotations("down.example.com")));
        watch.Stop();

        response["allowed"]!.GetValue<bool>().Should().BeFalse();
        response["status"]!["code"]!.GetValue<int>().Should().Be(503);
        response["status"]!["message"]!.GetValue<string>().Should().StartWith("egress-tls could not").And.Contain("retry");
        watch.Elapsed.Should().BeLessThan(budget + TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task The_ca_secret_exists_in_the_webhook_namespace_only_and_no_secret_data_or_private_key_reaches_the_logs()
    {
        await using var host = await ClusterHost.StartAsync();
        await host.WaitReadyAsync();
        await ClusterModeTests.PostAsync(host.Server, Reviews.Pod("uid-logs", ClusterHost.PodAnnotations()));

        var ca = host.Api.Find("secrets", "egress-tls", "egress-tls-ca")!;
        var caKey = (string)ca["data"]!["tls.key"]!;
        var secrets = host.Api.All("secrets");
        secrets.Where(s => (string?)s["metadata"]!["name"] == "egress-tls-ca").Should().ContainSingle();
        secrets.Where(s => s["data"]?.ToJsonString().Contains(caKey, StringComparison.Ordinal) == true).Should().ContainSingle("the CA key is in one Secret");
        var text = string.Join("\n", host.Server.Logs.Events.Select(e => e.RenderMessage() + e.Exception));
        text.Should().NotContain("PRIVATE KEY").And.NotContain(caKey).And.NotContain(ClusterHost.ClientKeyData).And.NotContain(ClusterHost.ClientCertificateData);
    }

    [Fact]
    public async Task Readyz_is_503_with_the_reason_while_the_api_server_is_unreachable_and_200_once_it_answers()
    {
        var api = await StandInApiServer.StartAsync();
        api.AddFault(Fault.DropConnection(times: 40));
        await using var host = await ClusterHost.StartAsync(api: api);

        var (status, body) = await host.ReadyzAsync();

        status.Should().Be(HttpStatusCode.ServiceUnavailable);
        body.Should().Contain("kubernetes");
        await host.WaitReadyAsync(TimeSpan.FromSeconds(60));
        host.Server.Logs.Events.Select(e => e.RenderMessage()).Should().Contain(m => m.Contains("Cannot start against the Kubernetes API", StringComparison.Ordinal)
            || m.Contains("Cannot sync the serving certificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_serving_certificate_is_created_published_in_ca_bundle_and_rotated_while_ca_bundle_still_validates_it()
    {
        var serving = new ServingCertificateOptions
        {
            Namespace = "egress-tls",
            SecretName = "egress-tls-serving-cert",
            ServiceName = "egress-tls",
            WebhookConfigurationName = "egress-tls",
            Duration = TimeSpan.FromHours(1),
            RenewBefore = TimeSpan.FromMinutes(30),
            CaDuration = TimeSpan.FromDays(10),
            CaRenewBefore = TimeSpan.FromHours(1),
            CheckInterval = TimeSpan.FromMilliseconds(200),
        };
        await using var host = await ClusterHost.StartAsync(serving: serving);
        await host.WaitReadyAsync();

        var first = await host.Server.HandshakeAsync();
        host.Api.Find("secrets", "egress-tls", "egress-tls-serving-cert").Should().NotBeNull();
        var bundles = host.CaBundles();
        bundles.Should().HaveCount(2).And.OnlyContain(b => b == bundles[0]);
        Validates(first, bundles[0]).Should().BeTrue();

        host.Clock.Now += TimeSpan.FromMinutes(40);
        var rotated = await PollAsync(async () => await host.Server.HandshakeAsync(), c => c.Thumbprint != first.Thumbprint);

        host.CaBundles()[0].Should().Be(bundles[0], "a renewal from the same CA needs no caBundle change");
        Validates(rotated, host.CaBundles()[0]).Should().BeTrue();
        var answer = await ClusterModeTests.PostAsync(host.Server, Reviews.ConfigMap("uid-after-rotation"));
        answer["allowed"]!.GetValue<bool>().Should().BeTrue();
    }

    private static bool Validates(X509Certificate2 served, string caBundlePem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = served.NotBefore.AddMinutes(2);
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(caBundlePem);
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        return chain.Build(served) && served.MatchesHostname("egress-tls.egress-tls.svc");
    }

    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                done(value).Should().BeTrue("the condition should hold within 20s");
                return value;
            }

            await Task.Delay(100);
        }
    }
}
