using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Kubernetes.Reconciliation;
using EgressTls.Kubernetes.Tests.Reconciliation;
using EgressTls.Pki;
using EgressTls.Testing;
using k8s;
using k8s.Models;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace EgressTls.Kubernetes.Tests.Rotation;

/// <summary>
/// CA rotation through the real client and the stand-in API server, on a clock the test sets: a new CA is in
/// every bundle before it signs, signs only after the propagation time, and the old one stays until the last
/// leaf it may have signed has expired; replicas racing on a transition agree on one CA.
/// </summary>
public sealed class CaRotationTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan CaLife = TimeSpan.FromDays(90);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);
    private static readonly TimeSpan Propagation = TimeSpan.FromHours(24);
    private static readonly TimeSpan LeafLife = TimeSpan.FromDays(7);
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMinutes(1);
    private StandInApiServer server = null!;
    private readonly ManualClock clock = new(T0);

    public async Task InitializeAsync() => server = await StandInApiServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    private static CancellationToken Budget() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    private KubernetesShellOptions Options(CaSource source = CaSource.Generate, string import = "") => new()
    {
        Ca = new CaStoreOptions { Source = source, ImportSecretName = import },
        CaGeneration = new CaOptions(KeyAlgorithm.EcdsaP256, CaLife),
        CaRenewBefore = RenewBefore,
        CaPropagation = Propagation,
        CaCheckInterval = CheckInterval,
        Leaf = new RenewalPolicy(LeafLife, TimeSpan.FromDays(2)),
        DetectCilium = false,
        Retry = new ApiRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50) },
    };

    private CaRotator Rotator(KubernetesShellOptions options, ICaGenerator? generator = null) =>
        new(KubernetesClientFactory.ForHost(server.Url), new ApiCallPipeline(options.Retry, clock), options.Ca, options.CaRotation,
            generator ?? new PkiCaGenerator(options.CaGeneration, clock, new SecureRandom()), clock);

    private Task<KubernetesShell> ShellAsync(KubernetesShellOptions options) =>
        KubernetesShell.StartAsync(KubernetesClientFactory.ForHost(server.Url), options, clock, new SecureRandom(), null, Budget());

    private JsonObject CaSecret() => server.Find("secrets", "egress-tls", "egress-tls-ca")!;

    private static string? Data(JsonObject secret, string key) =>
        secret["data"]?[key] is { } v ? Encoding.UTF8.GetString(Convert.FromBase64String((string)v!)) : null;

    private static IReadOnlyList<X509Certificate> Certificates(string pem) => Pem.DecodeCertificates(pem, out _);

    private static string Fingerprints(string pem) => string.Join(",", Certificates(pem).Select(CertificateFingerprint.Of).Order(StringComparer.Ordinal));

    private static bool SignedBy(string leafPem, CertificateAuthority ca)
    {
        try
        {
            Certificates(leafPem)[0].Verify(ca.Certificate.GetPublicKey());
            return true;
        }
        catch (Exception e) when (e is InvalidKeyException or SignatureException or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Generated_CA_rolls_over_trusted_first_signing_after_propagation_and_the_old_one_retired_after_its_leaves()
    {
        await using var shell = await ShellAsync(Options());
        var material = shell.Material!;
        var a = material.Authority;
        var changes = 0;
        material.Changed += (_, _) => changes++;

        clock.Set(a.NotAfter - RenewBefore - TimeSpan.FromSeconds(1));
        (await shell.CheckCaAsync(Budget())).Should().BeFalse("the CA is not yet within renewBefore of its expiry");
        Data(CaSecret(), "next.crt").Should().BeNull();

        // Introduce: B is published in every bundle; A still signs.
        clock.Advance(TimeSpan.FromSeconds(1));
        (await shell.CheckCaAsync(Budget())).Should().BeTrue();
        var b = material.State.Next!;
        b.Fingerprint.Should().NotBe(a.Fingerprint);
        Data(CaSecret(), "next.crt").Should().Contain("BEGIN CERTIFICATE");
        Data(CaSecret(), "next.key").Should().Contain("PRIVATE KEY");
        Fingerprints(material.GetTrustBundle().CaPem).Should().Be(Fingerprints(Pem.EncodeCertificates([a.Certificate, b.Certificate])));
        SignedBy(material.GetLeaf(["api.example.test"], []).CertificateChainPem, a).Should().BeTrue("B must not sign before it has propagated");

        clock.Advance(Propagation - TimeSpan.FromSeconds(1));
        (await shell.CheckCaAsync(Budget())).Should().BeFalse();
        SignedBy(material.GetLeaf(["api.example.test"], []).CertificateChainPem, a).Should().BeTrue();

        // Promote: B signs; A stays in the bundles for a leaf lifetime plus two check intervals.
        clock.Advance(TimeSpan.FromSeconds(1));
        var promotedAt = clock.GetUtcNow();
        (await shell.CheckCaAsync(Budget())).Should().BeTrue();
        material.Authority.Fingerprint.Should().Be(b.Fingerprint);
        SignedBy(material.GetLeaf(["api.example.test"], []).CertificateChainPem, b).Should().BeTrue("after promotion every leaf is issued by B");
        Fingerprints(material.GetTrustBundle().CaPem).Should().Be(Fingerprints(Pem.EncodeCertificates([a.Certificate, b.Certificate])));
        Data(CaSecret(), "tls.crt").Should().Contain(Pem.EncodeCertificates([b.Certificate]).Trim());
        Data(CaSecret(), "next.crt").Should().BeNull();
        Fingerprints(Data(CaSecret(), "retiring.crt")!).Should().Be(CertificateFingerprint.Of(a.Certificate));

        clock.Set(promotedAt + LeafLife + CheckInterval + CheckInterval - TimeSpan.FromSeconds(1));
        (await shell.CheckCaAsync(Budget())).Should().BeFalse("a leaf A signed just before the promotion may still be valid");

        // Retire: A leaves the bundles.
        clock.Advance(TimeSpan.FromSeconds(1));
        (await shell.CheckCaAsync(Budget())).Should().BeTrue();
        Fingerprints(material.GetTrustBundle().CaPem).Should().Be(CertificateFingerprint.Of(b.Certificate));
        Data(CaSecret(), "retiring.crt").Should().BeNull();
        changes.Should().Be(3);

        // One Event per transition on the CA Secret, from the replica whose update landed.
        server.All("events", "egress-tls").Select(e => (string)e["reason"]!).Should().BeEquivalentTo(["CAIntroduced", "CAPromoted", "CARetired"]);
        server.All("events", "egress-tls").Should().OnlyContain(e => (string)e["type"]! == "Normal" && (string)e["involvedObject"]!["name"]! == "egress-tls-ca");

        // Nothing about the CA ever left the webhook namespace.
        server.RequestLog.Where(e => e.IsWrite && e.Resource == "secrets").Should().OnlyContain(e => e.Namespace == "egress-tls");
    }

    [Fact]
    public async Task A_restarted_replica_reads_the_rotation_in_progress_and_makes_no_new_CA()
    {
        var generator = new CountingGenerator(Options().CaGeneration, clock);
        var first = Rotator(Options(), generator);
        var a = await first.LoadOrCreateAsync(Budget());
        clock.Set(a.Active.NotAfter - RenewBefore);
        var introduced = await first.CheckAsync(Budget());
        generator.Made.Should().Be(2);

        var restarted = await Rotator(Options(), generator).LoadOrCreateAsync(Budget());

        generator.Made.Should().Be(2);
        restarted.Active.Fingerprint.Should().Be(a.Active.Fingerprint);
        restarted.Next!.Fingerprint.Should().Be(introduced.Next!.Fingerprint);
        restarted.Rotation.Next!.PublishedAt.Should().Be(a.Active.NotAfter - RenewBefore,
            "the publication time (when the first replica introduced it) is stored, so the propagation wait survives restarts");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public async Task Replicas_reaching_the_renewal_time_together_introduce_one_CA(int replicas)
    {
        var generator = new CountingGenerator(Options().CaGeneration, clock);
        var a = await Rotator(Options(), generator).LoadOrCreateAsync(Budget());
        clock.Set(a.Active.NotAfter - RenewBefore);
        server.ClearLog();

        var go = new TaskCompletionSource();
        var tasks = Enumerable.Range(0, replicas).Select(_ => Task.Run(async () =>
        {
            var rotator = Rotator(Options(), generator);
            await go.Task;
            return await rotator.CheckAsync(Budget());
        })).ToList();
        go.SetResult();
        var states = await Task.WhenAll(tasks);

        states.Select(s => s.Next!.Fingerprint).Distinct().Should().ContainSingle("every replica adopts the one next CA that was stored");
        Fingerprints(Data(CaSecret(), "next.crt")!).Should().Be(CertificateFingerprint.Of(states[0].Next!.Certificate));
        server.RequestLog.Count(e => e.Verb == "update" && e.StatusCode == 200).Should().Be(1);
        server.RequestLog.Count(e => e.Verb == "update" && e.StatusCode == 409).Should().Be(
            server.RequestLog.Count(e => e.Verb == "update") - 1, "every other update met the resourceVersion precondition");
    }

    [Fact]
    public async Task The_rotate_annotation_introduces_a_CA_once_per_new_value()
    {
        var rotator = Rotator(Options());
        var a = await rotator.LoadOrCreateAsync(Budget());
        Annotate(CaStateSecret.RotateAnnotation, "2026-03-01");

        var requested = await rotator.CheckAsync(Budget());
        requested.Next.Should().NotBeNull("the operator asked for a new CA long before expiry");
        requested.Active.Fingerprint.Should().Be(a.Active.Fingerprint, "it is only published; it signs after propagation");

        var again = await rotator.CheckAsync(Budget());
        again.Next!.Fingerprint.Should().Be(requested.Next!.Fingerprint, "the same request value is handled once");

        clock.Advance(Propagation);
        (await rotator.CheckAsync(Budget())).Active.Fingerprint.Should().Be(requested.Next.Fingerprint);
    }

    [Fact]
    public async Task Imported_CA_is_copied_once_and_replacing_the_import_Secret_rotates_to_the_new_CA()
    {
        var generator = new PkiCaGenerator(Options().CaGeneration, clock, new SecureRandom());
        var first = generator.Generate();
        server.Seed(ImportSecret("corp-ca", first));
        var options = Options(CaSource.Import, "corp-ca");
        await using var shell = await ShellAsync(options);
        var a = shell.Material!.Authority;
        Data(CaSecret(), "tls.key").Should().Be(first.PrivateKeyPem, "the imported CA is kept (same namespace) so it can keep signing during a rotation");

        clock.Set(a.NotAfter - RenewBefore + TimeSpan.FromDays(1));
        (await shell.CheckCaAsync(Budget())).Should().BeFalse("in import mode the operator supplies the next CA; none is generated");

        var second = generator.Generate();
        await ReplaceImportAsync("corp-ca", second);

        (await shell.CheckCaAsync(Budget())).Should().BeTrue();
        shell.Material.Authority.Fingerprint.Should().Be(a.Fingerprint, "the new CA waits in the bundles first");
        Fingerprints(shell.Material.GetTrustBundle().CaPem).Split(',').Should().HaveCount(2);

        clock.Advance(Propagation);
        (await shell.CheckCaAsync(Budget())).Should().BeTrue();
        Data(CaSecret(), "tls.key").Should().Be(second.PrivateKeyPem);
        server.RequestLog.Where(e => e.IsWrite && e.Name == "corp-ca").Should().ContainSingle("only the test wrote the import Secret; egress-tls never does");
    }

    [Fact]
    public async Task Reverting_the_import_Secret_withdraws_the_waiting_CA_and_it_never_signs()
    {
        var generator = new PkiCaGenerator(Options().CaGeneration, clock, new SecureRandom());
        var first = generator.Generate();
        server.Seed(ImportSecret("corp-ca", first));
        var options = Options(CaSource.Import, "corp-ca");
        await using var shell = await ShellAsync(options);
        var a = shell.Material!.Authority;

        await ReplaceImportAsync("corp-ca", generator.Generate());
        (await shell.CheckCaAsync(Budget())).Should().BeTrue();
        Data(CaSecret(), "next.crt").Should().NotBeNull();

        await ReplaceImportAsync("corp-ca", first);
        (await shell.CheckCaAsync(Budget())).Should().BeTrue("the waiting CA leaves the bundles");
        Data(CaSecret(), "next.crt").Should().BeNull();
        Fingerprints(shell.Material.GetTrustBundle().CaPem).Should().Be(CertificateFingerprint.Of(a.Certificate));
        server.All("events", "egress-tls").Select(e => (string)e["reason"]!).Should().Contain("CAWithdrawn");

        clock.Advance(Propagation);
        await shell.CheckCaAsync(Budget());
        shell.Material.Authority.Fingerprint.Should().Be(a.Fingerprint, "the import Secret holds the active CA");
    }

    // The operator replaces the import Secret's content (an update carrying its current resourceVersion).
    private async Task ReplaceImportAsync(string name, CaKeyPair ca)
    {
        var replaced = ImportSecret(name, ca);
        replaced["metadata"]!["resourceVersion"] = (string?)server.Find("secrets", "egress-tls", name)!["metadata"]!["resourceVersion"];
        await KubernetesClientFactory.ForHost(server.Url).CoreV1.ReplaceNamespacedSecretAsync(
            KubernetesJson.Deserialize<V1Secret>(replaced.ToJsonString()), name, "egress-tls");
    }

    [Fact]
    public async Task In_import_mode_an_import_Secret_missing_near_expiry_never_makes_a_generated_CA_sign()
    {
        var first = new PkiCaGenerator(Options().CaGeneration, clock, new SecureRandom()).Generate();
        server.Seed(ImportSecret("corp-ca", first));
        var options = Options(CaSource.Import, "corp-ca");
        var generator = new CountingGenerator(options.CaGeneration, clock);
        var rotator = Rotator(options, generator);
        var a = await rotator.LoadOrCreateAsync(Budget());
        var client = KubernetesClientFactory.ForHost(server.Url);

        // Within renewBefore of the imported CA's end, the operator replaces the import Secret by delete and create.
        clock.Set(a.Active.NotAfter - RenewBefore + TimeSpan.FromDays(1));
        await client.CoreV1.DeleteNamespacedSecretAsync("corp-ca", "egress-tls");
        var during = await rotator.CheckAsync(Budget());
        server.Seed(ImportSecret("corp-ca", first));
        clock.Advance(Propagation);
        var after = await rotator.CheckAsync(Budget());

        generator.Made.Should().Be(0, "in import mode the operator supplies every CA");
        during.Next.Should().BeNull();
        after.Active.Fingerprint.Should().Be(a.Active.Fingerprint, "the imported CA keeps signing");
        after.Next.Should().BeNull();
    }

    [Fact]
    public async Task A_CA_that_expired_while_nothing_ran_is_replaced_at_start_instead_of_blocking_it()
    {
        var a = await Rotator(Options()).LoadOrCreateAsync(Budget());
        clock.Set(a.Active.NotAfter + TimeSpan.FromDays(10));

        await using var shell = await ShellAsync(Options());

        shell.Material!.Authority.Fingerprint.Should().NotBe(a.Active.Fingerprint);
        shell.Material.Authority.NotAfter.Should().BeAfter(clock.GetUtcNow());
        SignedBy(shell.Material.GetLeaf(["api.example.test"], []).CertificateChainPem, shell.Material.Authority).Should().BeTrue();
        server.All("events", "egress-tls").Select(e => (string)e["reason"]!).Should().Contain("CAReplaced");
    }

    [Fact]
    public async Task A_damaged_rotation_annotation_is_an_error_naming_it_and_nothing_is_written()
    {
        var rotator = Rotator(Options());
        await rotator.LoadOrCreateAsync(Budget());
        Annotate(CaStateSecret.RotationAnnotation, "{not json");
        server.ClearLog();

        var act = () => rotator.CheckAsync(Budget());

        (await act.Should().ThrowAsync<CaStoreException>()).Which.Message.Should().Contain("egress-tls.io/ca-rotation").And.Contain("not valid JSON");
        server.RequestLog.Should().NotContain(e => e.IsWrite);
    }

    [Fact]
    public async Task The_reconciler_publishes_the_new_CA_in_every_trust_bundle_then_reissues_leaves_after_promotion()
    {
        var stateA = await Rotator(Options()).LoadOrCreateAsync(Budget());
        var material = new RotatingCertificateMaterial(stateA, null, Options().Leaf, KeyAlgorithm.EcdsaP256, clock, new SecureRandom());
        await using var h = await ReconcilerHarness.StartAsync(material, clock: clock);
        // The harness has its own stand-in; the CA Secret is copied into it so the rotator there sees the same CA.
        h.Server.Seed(JsonNode.Parse(KubernetesJson.Serialize(CaStateSecret.Write(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "egress-tls-ca", NamespaceProperty = "egress-tls" } }, stateA with { ResourceVersion = null })))!.AsObject());
        var options = Options();
        var rotator = new CaRotator(h.Client, new ApiCallPipeline(options.Retry, clock), options.Ca, options.CaRotation,
            new PkiCaGenerator(options.CaGeneration, clock, new SecureRandom()), clock);
        foreach (var ns in new[] { "team-a", "team-b" })
        {
            h.SeedNamespace(ns);
            h.SeedPod(ns, "web-1", "github.com");
        }

        await h.ConvergeAsync();
        string Bundle(string ns) => (string)h.Server.Find("configmaps", ns, "egress-tls-trust-bundle")!["data"]!["ca.crt"]!;
        string Leaf() => Data(h.Server.All("secrets", "egress-tls").Single(s => ((string)s["metadata"]!["name"]!).StartsWith("egress-tls-leaf-", StringComparison.Ordinal)), "tls.crt")!;
        SignedBy(Leaf(), stateA.Active).Should().BeTrue();

        clock.Set(stateA.Active.NotAfter - RenewBefore);
        material.Update(await rotator.CheckAsync(Budget())).Should().BeTrue();
        var b = material.State.Next!;
        await h.ConvergeAsync();
        Bundle("team-a").Should().Be(Bundle("team-b"));
        Fingerprints(Bundle("team-a")).Should().Be(Fingerprints(Pem.EncodeCertificates([stateA.Active.Certificate, b.Certificate])));
        SignedBy(Leaf(), stateA.Active).Should().BeTrue("leaves are re-applied with the same signer while B propagates");

        clock.Advance(Propagation);
        material.Update(await rotator.CheckAsync(Budget())).Should().BeTrue();
        await h.ConvergeAsync();
        SignedBy(Leaf(), b).Should().BeTrue("after promotion the reconciler re-issues every leaf from B");
        Fingerprints(Bundle("team-a")).Split(',').Should().HaveCount(2, "A stays while leaves it signed may be in use");
    }

    [Fact]
    public async Task The_running_reconciler_is_woken_by_a_material_change_without_waiting_for_its_resync()
    {
        var options = Options() with { Cilium = Workloads.Options.Cilium };
        await using var shell = await ShellAsync(options);
        server.Seed(Workloads.Namespace("team-a"));
        server.Seed(Workloads.MutatedPod("team-a", "web-1", "github.com"));
        using var service = ReconcilerService.Create(() => shell, new ReconcilerOptions { Render = Workloads.Options, ResyncPeriod = TimeSpan.FromHours(1) },
            new LeaderElectionOptions { Enabled = false }, new ReconcilerMetrics(), clock, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await service.StartAsync(CancellationToken.None);
        try
        {
            string? Bundle() => (string?)server.Find("configmaps", "team-a", "egress-tls-trust-bundle")?["data"]?["ca.crt"];
            await ReconcilerHarness.WaitUntilAsync(() => Bundle() is not null);
            Certificates(Bundle()!).Should().ContainSingle();

            // Another replica takes the transition; the Secret's change wakes this reconciler, which still has the
            // old material, so the bundle stays as it was.
            Annotate(CaStateSecret.RotateAnnotation, "now");
            await Rotator(options).CheckAsync(Budget());
            var passes = service.Reconciler.Passes;
            await ReconcilerHarness.WaitUntilAsync(() => service.Reconciler.Passes > passes);
            await Task.Delay(500);
            Certificates(Bundle()!).Should().ContainSingle();

            // This replica's check adopts the new state (writing nothing); only the material change can wake the reconciler now.
            server.ClearLog();
            (await shell.CheckCaAsync(Budget())).Should().BeTrue();
            server.RequestLog.Should().NotContain(e => e.IsWrite && e.Resource == "secrets");

            await ReconcilerHarness.WaitUntilAsync(() => Certificates(Bundle()!).Count == 2);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    private void Annotate(string key, string value)
    {
        var client = KubernetesClientFactory.ForHost(server.Url);
        var secret = client.CoreV1.ReadNamespacedSecret("egress-tls-ca", "egress-tls");
        secret.Metadata.Annotations ??= new Dictionary<string, string>();
        secret.Metadata.Annotations[key] = value;
        client.CoreV1.ReplaceNamespacedSecret(secret, "egress-tls-ca", "egress-tls");
    }

    private static JsonObject ImportSecret(string name, CaKeyPair ca) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["type"] = "kubernetes.io/tls",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "egress-tls" },
        ["data"] = new JsonObject
        {
            ["tls.crt"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(ca.CertificatePem)),
            ["tls.key"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(ca.PrivateKeyPem)),
        },
    };

    private sealed class CountingGenerator(CaOptions options, TimeProvider time) : ICaGenerator
    {
        private readonly PkiCaGenerator inner = new(options, time, new SecureRandom());
        private int made;

        public int Made => Volatile.Read(ref made);

        public CaKeyPair Generate()
        {
            Interlocked.Increment(ref made);
            return inner.Generate();
        }
    }
}
