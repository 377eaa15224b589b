using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;
using EgressTls.Testing;
using k8s;

namespace EgressTls.Kubernetes.Tests;

public sealed class ApplierTests : IAsyncLifetime
{
    private StandInApiServer server = null!;
    private FakeCertificateMaterial material = null!;

    public async Task InitializeAsync()
    {
        server = await StandInApiServer.StartAsync();
        material = new FakeCertificateMaterial();
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    private DesiredStateApplier Applier(ApplierOptions? options = null, ApiRetryOptions? retry = null) =>
        new(KubernetesClientFactory.ForHost(server.Url), options ?? new ApplierOptions(), material,
            new ApiCallPipeline(retry ?? new ApiRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50) }));

    private static CancellationToken Budget(double seconds = 10) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    private IReadOnlyList<RequestLogEntry> Writes() => server.RequestLog.Where(e => e.IsWrite).ToList();

    [Fact]
    public async Task Apply_writes_secrets_then_envoy_configs_then_policies_with_one_field_manager()
    {
        await Applier().ApplyAsync(Objects.Profile(), Budget());

        var writes = Writes();
        writes.Select(w => w.Resource).Should().HaveCount(5);
        var rank = writes.Select(w => w.Resource switch
        {
            "secrets" or "configmaps" => 0,
            "ciliumenvoyconfigs" => 1,
            _ => 2,
        }).ToList();
        rank.Should().BeInAscendingOrder();
        writes.Should().OnlyContain(w => w.Verb == "apply" && w.FieldManager == "egress-tls" && !w.DryRun);
        server.All("ciliumnetworkpolicies", "team-a").Should().ContainSingle();
        server.Managers("ciliumnetworkpolicies", "team-a", "egress-tls-p1").Keys.Should().Equal("egress-tls");
    }

    [Fact]
    public async Task Leaf_secret_has_tls_keys_and_no_ca_crt()
    {
        await Applier().ApplyAsync([Objects.LeafSecret()], Budget());

        var secret = server.Find("secrets", "egress-tls", "egress-tls-leaf-abc")!;
        ((string?)secret["type"]).Should().Be("kubernetes.io/tls");
        secret["data"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo("tls.crt", "tls.key");
        ((string?)secret["metadata"]!["annotations"]![ContentHash.Annotation]).Should().NotBeNullOrEmpty();
    }

    // Two replicas: the leader collected a policy this replica applied a while ago (its last pod went). Within
    // TrustAppliedFor this replica skips the write; after it, one GET per object finds the policy gone and writes it.
    [Fact]
    public async Task An_object_deleted_since_it_was_applied_is_written_again_once_the_trust_window_has_passed()
    {
        var clock = new StepClock();
        var applier = Applier(new ApplierOptions { TrustAppliedFor = TimeSpan.FromMinutes(1), Time = clock });
        await applier.ApplyAsync(Objects.Profile(), Budget());
        var policy = Objects.Profile().Single(o => o.Kind == "CiliumNetworkPolicy");
        await KubernetesClientFactory.ForHost(server.Url).CustomObjects.DeleteNamespacedCustomObjectAsync(
            "cilium.io", "v2", policy.Namespace, "ciliumnetworkpolicies", policy.Name);
        server.Find("ciliumnetworkpolicies", policy.Namespace, policy.Name).Should().BeNull();

        clock.Advance(TimeSpan.FromSeconds(59));
        server.ClearLog();
        await applier.ApplyAsync(Objects.Profile(), Budget());
        server.RequestLog.Should().BeEmpty("within the window what this replica applied is trusted");

        clock.Advance(TimeSpan.FromSeconds(2));
        await applier.ApplyAsync(Objects.Profile(), Budget());

        server.Find("ciliumnetworkpolicies", policy.Namespace, policy.Name).Should().NotBeNull();
        Writes().Select(w => w.Resource).Should().Equal("ciliumnetworkpolicies");
        server.RequestLog.Count(e => e.Verb == "get").Should().Be(Objects.Profile().Count, "one read per object");
        material.LeavesIssued.Should().Be(1, "the leaf still in the cluster is not issued again");

        server.ClearLog();
        await applier.ApplyAsync(Objects.Profile(), Budget());
        server.RequestLog.Should().BeEmpty("what was read is trusted for another window");
    }

    /// <summary>A clock whose monotonic timestamps only move when the test says.</summary>
    private sealed class StepClock : TimeProvider
    {
        private long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref ticks, by.Ticks);
    }

    [Fact]
    public async Task Second_apply_of_the_same_objects_makes_no_api_call()
    {
        var applier = Applier();
        await applier.ApplyAsync(Objects.Profile(), Budget());
        server.ClearLog();

        await applier.ApplyAsync(Objects.Profile(), Budget());

        server.RequestLog.Should().BeEmpty();
        material.LeavesIssued.Should().Be(1);
    }

    [Fact]
    public async Task After_a_restart_unchanged_objects_are_read_not_rewritten_and_no_leaf_is_issued()
    {
        await Applier().ApplyAsync(Objects.Profile(), Budget());
        server.ClearLog();
        var rv = server.ResourceVersion;

        await Applier().ApplyAsync(Objects.Profile(), Budget());

        Writes().Should().BeEmpty();
        server.RequestLog.Should().OnlyContain(e => e.Verb == "get");
        server.ResourceVersion.Should().Be(rv);
        material.LeavesIssued.Should().Be(1);
    }

    [Fact]
    public async Task A_changed_object_is_reapplied_and_only_it()
    {
        var applier = Applier();
        await applier.ApplyAsync(Objects.Profile(), Budget());
        server.ClearLog();

        var changed = Objects.Profile().Select(o => o.Kind == "CiliumNetworkPolicy" ? Objects.Cnp(host: "api.github.com") : o).ToList();
        await applier.ApplyAsync(changed, Budget());

        Writes().Select(w => (w.Verb, w.Resource, w.Name)).Should().Equal(("apply", "ciliumnetworkpolicies", "egress-tls-p1"));
        ((string?)server.Find("ciliumnetworkpolicies", "team-a", "egress-tls-p1")!["spec"]!["egress"]![0]!["toFQDNs"]![0]!["matchName"]).Should().Be("api.github.com");
    }

    [Fact]
    public async Task A_new_ca_reapplies_leaves_and_bundles()
    {
        var applier = Applier();
        await applier.ApplyAsync(Objects.Profile(), Budget());
        server.ClearLog();

        material.Fingerprint = "ca-2";
        await applier.ApplyAsync(Objects.Profile(), Budget());

        Writes().Select(w => w.Name).Should().BeEquivalentTo("egress-tls-leaf-abc", "egress-tls-public-roots", "egress-tls-trust-bundle");
        material.LeavesIssued.Should().Be(2);
    }

    [Fact]
    public async Task Dry_run_writes_nothing()
    {
        await Applier().ApplyAsync(Objects.Profile(), new ApplyMode(DryRun: true), Budget());

        Writes().Should().OnlyContain(w => w.DryRun);
        server.All("secrets").Should().BeEmpty();
        server.All("ciliumnetworkpolicies").Should().BeEmpty();
        material.LeavesIssued.Should().Be(0);
    }

    [Fact]
    public async Task Two_hundred_concurrent_admissions_of_one_profile_write_each_object_once_and_issue_one_leaf()
    {
        var applier = Applier();
        var budget = Budget(30);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => applier.ApplyAsync(Objects.Profile(), budget))));

        Writes().GroupBy(w => (w.Resource, w.Name)).Should().OnlyContain(g => g.Count() == 1).And.HaveCount(5);
        material.LeavesIssued.Should().Be(1);
    }

    [Theory]
    [InlineData(FaultKind.NotFound)]
    [InlineData(FaultKind.Conflict)]
    [InlineData(FaultKind.TooManyRequests)]
    [InlineData(FaultKind.ServerError)]
    [InlineData(FaultKind.DropConnection)]
    public async Task Transient_failures_are_retried_within_the_budget(FaultKind kind)
    {
        server.AddFault(new Fault { Kind = kind, Verb = "apply", Resource = "ciliumnetworkpolicies", Times = 2, RetryAfterSeconds = 0 });
        server.AddFault(new Fault { Kind = kind, Verb = "apply", Resource = "secrets", Times = 1, RetryAfterSeconds = 0 });

        await Applier().ApplyAsync(Objects.Profile(), Budget());

        server.PendingFaults.Should().Be(0);
        server.All("ciliumnetworkpolicies", "team-a").Should().ContainSingle();
    }

    [Fact]
    public async Task A_hung_api_server_ends_in_an_apply_exception_when_the_callers_budget_ends()
    {
        server.AddFault(Fault.Latency(TimeSpan.FromSeconds(20), "apply", "ciliumnetworkpolicies", times: 10));
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var act = () => Applier(retry: new ApiRetryOptions { AttemptTimeout = TimeSpan.FromSeconds(10) }).ApplyAsync([Objects.Cnp()], Budget(1));

        (await act.Should().ThrowAsync<ApplyException>()).Which.Message.Should().Contain("timed out applying CiliumNetworkPolicy team-a/egress-tls-p1");
        stopwatch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "the caller's budget bounds the wait, not the API server");
    }

    [Fact]
    public async Task A_write_whose_answer_was_lost_is_retried_without_duplicating_anything()
    {
        server.AddFault(Fault.DropResponse("apply", "secrets", times: 2));

        await Applier().ApplyAsync(Objects.Profile(), Budget());

        server.All("secrets").Should().HaveCount(2);
        server.PendingFaults.Should().Be(0);
        material.LeavesIssued.Should().Be(1);
    }

    [Fact]
    public async Task Two_hundred_concurrent_admissions_survive_injected_faults_with_one_set_of_objects()
    {
        server.AddFault(Fault.TooManyRequests("apply", times: 3, retryAfterSeconds: 0));
        server.AddFault(Fault.ServerError("get", times: 3));
        server.AddFault(Fault.DropConnection("apply", "ciliumnetworkpolicies", times: 2));
        server.AddFault(Fault.Conflict("apply", "ciliumenvoyconfigs", times: 2));
        var applier = Applier();
        var budget = Budget(30);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(async () =>
        {
            try
            {
                await applier.ApplyAsync(Objects.Profile(), budget);
                return "ok";
            }
            catch (ApplyException e)
            {
                return e.Message;
            }
        })));

        outcomes.Should().OnlyContain(o => o == "ok");
        server.PendingFaults.Should().Be(0);
        material.LeavesIssued.Should().Be(1);
        (server.All("secrets").Count + server.All("configmaps").Count + server.All("ciliumenvoyconfigs").Count + server.All("ciliumnetworkpolicies").Count).Should().Be(5);
        Writes().Where(w => w.StatusCode is 200 or 201).GroupBy(w => (w.Resource, w.Name)).Should().OnlyContain(g => g.Count() == 1);
    }

    [Fact]
    public async Task Retry_after_is_honoured()
    {
        server.AddFault(Fault.TooManyRequests("apply", "ciliumnetworkpolicies", times: 1, retryAfterSeconds: 1));
        var started = DateTime.UtcNow;

        await Applier(retry: new ApiRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromSeconds(5) })
            .ApplyAsync([Objects.Cnp()], Budget());

        (DateTime.UtcNow - started).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(0.9));
    }

    [Fact]
    public async Task When_the_budget_is_exhausted_a_clear_apply_exception_names_the_object_and_the_answer()
    {
        server.AddFault(Fault.ServerError("apply", "secrets", times: 1000));

        var act = () => Applier().ApplyAsync(Objects.Profile(), Budget(5));

        var error = (await act.Should().ThrowAsync<ApplyException>()).Which;
        error.Message.Should().Contain("Secret egress-tls/egress-tls-leaf-abc").And.Contain("500").And.Contain("not applied");
        error.Message.Should().NotContain("LEAF-").And.NotContain("PRIVATE KEY");
        server.All("ciliumnetworkpolicies").Should().BeEmpty("a policy must not name a Secret that could not be written");
        server.All("ciliumenvoyconfigs").Should().BeEmpty();
    }

    [Fact]
    public async Task Copied_client_certificate_takes_only_the_listed_keys()
    {
        server.Seed(Secret("team-a", "client-cert", ("tls.crt", "CERT"), ("tls.key", "KEY"), ("ca.crt", "CA")));

        await Applier().ApplyAsync([Objects.ClientCertCopy("team-a", "client-cert")], Budget());

        var copy = server.All("secrets", "cilium-secrets").Single();
        copy["data"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo("tls.crt", "tls.key");
        ((string?)copy["data"]!["tls.key"]).Should().Be(Convert.ToBase64String("KEY"u8.ToArray()));
    }

    [Fact]
    public async Task Copied_secret_refuses_a_source_outside_the_workload_namespace()
    {
        server.Seed(Secret("team-b", "client-cert", ("tls.crt", "CERT"), ("tls.key", "KEY")));

        var act = () => Applier().ApplyAsync([Objects.ClientCertCopy("team-b", "client-cert", workloadNs: "team-a")], Budget());

        (await act.Should().ThrowAsync<ApplyException>()).Which.Message.Should().Contain("may only use Secrets of its own namespace");
        server.RequestLog.Should().NotContain(e => e.Resource == "secrets" && e.Namespace == "team-b");
        server.All("secrets", "cilium-secrets").Should().BeEmpty();
    }

    [Fact]
    public async Task Copied_secret_never_reads_the_webhook_namespace()
    {
        server.Seed(Secret("egress-tls", "egress-tls-ca", ("tls.crt", "CERT"), ("tls.key", "CA-KEY")));

        var act = () => Applier().ApplyAsync([Objects.ClientCertCopy("egress-tls", "egress-tls-ca", workloadNs: "egress-tls")], Budget());

        (await act.Should().ThrowAsync<ApplyException>()).Which.Message.Should().Contain("out of the egress-tls namespace").And.NotContain("CA-KEY");
    }

    [Fact]
    public async Task Missing_source_secret_gives_a_user_safe_message()
    {
        var act = () => Applier().ApplyAsync([Objects.ClientCertCopy("team-a", "nope")], Budget());

        (await act.Should().ThrowAsync<ApplyException>()).Which.Message.Should().Contain("Secret team-a/nope not found");
    }

    [Fact]
    public async Task Trust_bundle_configmap_has_the_three_keys()
    {
        await Applier().ApplyAsync([Objects.TrustBundle()], Budget());

        var cm = server.Find("configmaps", "team-a", "egress-tls-trust-bundle")!;
        cm["data"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo("ca.crt", "ca-bundle.crt");
        cm["binaryData"]!.AsObject().Select(p => p.Key).Should().Equal("truststore.p12");
    }

    [Fact]
    public async Task Cert_manager_mode_creates_a_certificate_and_copies_its_secret_without_ca_crt()
    {
        var options = new ApplierOptions { LeafSource = LeafSource.CertManager, CertManagerIssuer = new CertManagerIssuer("ClusterIssuer", "internal-ca") };
        server.Seed(Secret("egress-tls", "egress-tls-leaf-abc-cm", ("tls.crt", "CM-CERT"), ("tls.key", "CM-KEY"), ("ca.crt", "CM-CA")));

        await Applier(options).ApplyAsync([Objects.LeafSecret()], Budget());

        var certificate = server.Find("certificates", "egress-tls", "egress-tls-leaf-abc")!;
        ((string?)certificate["spec"]!["issuerRef"]!["name"]).Should().Be("internal-ca");
        ((string?)certificate["spec"]!["secretName"]).Should().Be("egress-tls-leaf-abc-cm");
        var leaf = server.Find("secrets", "egress-tls", "egress-tls-leaf-abc")!;
        leaf["data"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo("tls.crt", "tls.key");
        material.LeavesIssued.Should().Be(0);
    }

    [Fact]
    public async Task Cert_manager_mode_in_inline_mode_keeps_the_certificate_in_the_webhook_namespace()
    {
        var options = new ApplierOptions { LeafSource = LeafSource.CertManager, CertManagerIssuer = new CertManagerIssuer("Issuer", "ca") };
        server.Seed(Secret("egress-tls", "egress-tls-leaf-abc-cm", ("tls.crt", "CM-CERT"), ("tls.key", "CM-KEY"), ("ca.crt", "CM-CA")));

        await Applier(options).ApplyAsync([Objects.LeafSecret(ns: "cilium-secrets")], Budget());

        server.All("certificates").Should().ContainSingle().Which["metadata"]!["namespace"]!.GetValue<string>().Should().Be("egress-tls");
        server.Find("secrets", "cilium-secrets", "egress-tls-leaf-abc")!["data"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo("tls.crt", "tls.key");
    }

    [Fact]
    public async Task Cert_manager_mode_fails_clearly_when_nothing_was_issued_in_time()
    {
        var options = new ApplierOptions { LeafSource = LeafSource.CertManager, CertManagerIssuer = new CertManagerIssuer("Issuer", "x"), CertManagerPollInterval = TimeSpan.FromMilliseconds(20) };

        var act = () => Applier(options).ApplyAsync([Objects.LeafSecret()], Budget(1.5));

        (await act.Should().ThrowAsync<ApplyException>()).Which.Message.Should().Contain("cert-manager has not issued");
    }

    internal static JsonObject Secret(string ns, string name, params (string Key, string Value)[] data)
    {
        var d = new JsonObject();
        foreach (var (k, v) in data)
        {
            d[k] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(v));
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["type"] = "kubernetes.io/tls",
            ["data"] = d,
        };
    }
}
