using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes.Reconciliation;
using EgressTls.Testing;
using k8s;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>A reconciler over the real client and the stand-in API server, with a clock the test sets.</summary>
internal sealed class ReconcilerHarness : IAsyncDisposable
{
    private ReconcilerHarness(StandInApiServer server, IKubernetes client, ManualClock clock, ICertificateMaterial material,
        DesiredStateApplier applier, ResourceInformer<k8s.Models.V1Namespace> namespaces, Reconciler reconciler)
    {
        Server = server;
        Client = client;
        Clock = clock;
        Material = material;
        Applier = applier;
        Namespaces = namespaces;
        Reconciler = reconciler;
    }

    public StandInApiServer Server { get; }

    public IKubernetes Client { get; }

    public ManualClock Clock { get; }

    public ICertificateMaterial Material { get; }

    public DesiredStateApplier Applier { get; }

    public ResourceInformer<k8s.Models.V1Namespace> Namespaces { get; }

    public Reconciler Reconciler { get; }

    public static async Task<ReconcilerHarness> StartAsync(
        ICertificateMaterial? material = null,
        Func<RenderInput, RenderOptions, RenderResult>? render = null,
        ReconcilerOptions? options = null,
        ApiRetryOptions? retry = null,
        ManualClock? clock = null,
        bool start = true,
        IReadOnlyList<ApiResource>? resources = null)
    {
        var server = await StandInApiServer.StartAsync(resources);
        clock ??= new ManualClock(DateTimeOffset.UtcNow);
        var client = KubernetesClientFactory.ForHost(server.Url);
        var pipeline = new ApiCallPipeline(retry ?? new ApiRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100) });
        material ??= new FakeCertificateMaterial();
        var applier = new DesiredStateApplier(client, new ApplierOptions(), material, pipeline);
        var namespaces = Informers.Namespaces(client, timeProvider: clock);
        var reconciler = new Reconciler(client, namespaces, applier, material, pipeline,
            // The fake material's leaves are placeholders: renewal is only checked with real certificates.
            (options ?? new ReconcilerOptions { LeafRenewal = null }) with { Render = Workloads.Options },
            new ReconcilerMetrics(), clock, render: render);
        var harness = new ReconcilerHarness(server, client, clock, material, applier, namespaces, reconciler);
        if (start)
        {
            await reconciler.StartAsync(CancellationToken.None);
        }

        return harness;
    }

    public void SeedNamespace(string name, bool optedIn = true) => Server.Seed(Workloads.Namespace(name, optedIn));

    public JsonObject SeedPod(string ns, string name, string hosts) => Server.Seed(Workloads.MutatedPod(ns, name, hosts));

    public string ProfileOf(JsonObject pod) => (string)pod["metadata"]!["labels"]![EgressTls.Core.Naming.ProfileLabel]!;

    public JsonObject? Cnp(string ns, string name) => Server.Find("ciliumnetworkpolicies", ns, name);

    public IReadOnlyList<JsonObject> Cnps(string? ns = null) => Server.All("ciliumnetworkpolicies", ns);

    /// <summary>Runs passes until <paramref name="condition"/> holds (the informers see changes asynchronously).</summary>
    public async Task<ReconcilePassResult> PassUntilAsync(Func<ReconcilePassResult, bool> condition, bool resync = false, int timeoutSeconds = 30)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        while (true)
        {
            var result = await Reconciler.PassAsync(resync, CancellationToken.None);
            if (condition(result))
            {
                return result;
            }

            await Task.Delay(50, cts.Token);
        }
    }

    /// <summary>Passes until one writes nothing (the informers have caught up with every earlier write).</summary>
    public Task<ReconcilePassResult> ConvergeAsync() => PassUntilAsync(r => r.Applied.IsEmpty && r.Failed.IsEmpty && r.Desired > 0);

    /// <summary>Deletes a pod (the stand-in answers with a Status the typed client cannot read as a Pod).</summary>
    public async Task DeletePodAsync(string ns, string name)
    {
        try
        {
            await Client.CoreV1.DeleteNamespacedPodAsync(name, ns);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        Server.Find("pods", ns, name).Should().BeNull();
    }

    public static async Task WaitUntilAsync(Func<bool> condition, int timeoutSeconds = 30)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        while (!condition())
        {
            await Task.Delay(50, cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Reconciler.StopAsync();
        await Namespaces.DisposeAsync();
        Reconciler.Metrics.Dispose();
        await Server.DisposeAsync();
    }
}
