using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>
/// Keeps the cluster at the desired state (peers.md C4: a webhook with side effects must
/// reconcile, because a later admission step may reject the pod it created objects for). Watches namespaces,
/// pods, Flux Providers and everything egress-tls manages; every change (coalesced) and every resync runs one
/// pass: derive the desired objects (<see cref="DesiredState"/>), re-apply what is missing, edited, stale or
/// due for renewal (<see cref="DriftCheck"/>; server-side apply with ApplyMode Refresh), then delete what
/// nothing desires any more (<see cref="GarbageCollection"/>, policies first). Failures become Events and log
/// lines and are retried with exponential backoff per object. Runs only while this replica leads
/// (<see cref="ReconcilerService"/>); cancelling <see cref="RunAsync"/> stops all writing.
/// </summary>
public sealed class Reconciler
{
    private readonly IKubernetes client;
    private readonly ResourceInformer<V1Namespace> namespaces;
    private readonly DesiredStateApplier applier;
    private readonly ICertificateMaterial? material;
    private readonly ApiCallPipeline pipeline;
    private readonly ReconcilerOptions options;
    private readonly TimeProvider time;
    private readonly ILoggerFactory loggers;
    private readonly ILogger logger;
    private readonly Func<RenderInput, RenderOptions, RenderResult>? render;
    private readonly Func<DateTimeOffset?>? caNotAfter;
    private readonly EventRecorder events;
    private readonly KeyBackoff backoff;
    private readonly ConcurrentDictionary<string, RenderResult> memo = new(StringComparer.Ordinal);
    private readonly HashSet<string> reportedProblems = new(StringComparer.Ordinal);

    // Trust bundle ConfigMaps by namespace. The chart's RBAC grants ConfigMaps by name only (no list or watch),
    // so they are read with a GET per namespace on resync passes and after each write, not watched.
    private readonly ConcurrentDictionary<string, LiveState> trustBundles = new(StringComparer.Ordinal);
    private bool bundlesRead;
    private Informer? informers;

    // When a pass of this term last desired each object (garbage collection's grace period runs from then), and
    // when the term started (the same for objects no pass of this term has desired).
    private readonly Dictionary<string, DateTimeOffset> lastDesired = new(StringComparer.Ordinal);
    private DateTimeOffset termStart;
    private int passes;

    /// <summary>Creates the reconciler over the shell's pieces.</summary>
    /// <param name="client">The API client.</param>
    /// <param name="namespaces">The shell's namespace informer (shared with admission).</param>
    /// <param name="applier">The shell's applier (shared with admission, so deletions clear its cache).</param>
    /// <param name="material">The certificate material (null in cert-manager mode).</param>
    /// <param name="pipeline">The retry pipelines.</param>
    /// <param name="options">Settings.</param>
    /// <param name="metrics">Instruments.</param>
    /// <param name="time">The clock (grace periods, renewal, backoff).</param>
    /// <param name="loggers">Loggers.</param>
    /// <param name="render">The renderer (tests substitute Provider rendering); defaults to <see cref="Renderer.Render(RenderInput, RenderOptions)"/>.</param>
    /// <param name="caNotAfter">The CA's notAfter for the expiry gauge, if known.</param>
    public Reconciler(
        IKubernetes client,
        ResourceInformer<V1Namespace> namespaces,
        DesiredStateApplier applier,
        ICertificateMaterial? material,
        ApiCallPipeline pipeline,
        ReconcilerOptions options,
        ReconcilerMetrics metrics,
        TimeProvider? time = null,
        ILoggerFactory? loggers = null,
        Func<RenderInput, RenderOptions, RenderResult>? render = null,
        Func<DateTimeOffset?>? caNotAfter = null)
    {
        this.client = client;
        this.namespaces = namespaces;
        this.applier = applier;
        this.material = material;
        this.pipeline = pipeline;
        this.options = options;
        Metrics = metrics;
        this.time = time ?? TimeProvider.System;
        this.loggers = loggers ?? NullLoggerFactory.Instance;
        logger = this.loggers.CreateLogger<Reconciler>();
        this.render = render;
        this.caNotAfter = caNotAfter;
        events = new EventRecorder(client, pipeline, this.time, logger);
        backoff = new KeyBackoff(options.InitialBackoff, options.MaxBackoff);
        Metrics.Time = this.time;
    }

    /// <summary>The instruments.</summary>
    public ReconcilerMetrics Metrics { get; }

    /// <summary>Passes run so far.</summary>
    public int Passes => Volatile.Read(ref passes);

    /// <summary>The result of the latest pass.</summary>
    public ReconcilePassResult? LastPass { get; private set; }

    /// <summary>True between <see cref="StartAsync"/> and <see cref="StopAsync"/> (the loop is running).</summary>
    public bool IsRunning => Volatile.Read(ref informers) is not null;

    /// <summary>The work queue (informer events signal it).</summary>
    public ReconcileTrigger Trigger { get; } = new();

    /// <summary>Starts the informers, waits for their first lists, then reconciles on every change and resync
    /// until <paramref name="cancellationToken"/> is cancelled (leadership lost or shutdown).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Inside the try: a term that ends while the first lists are still running stops its informers too.
            await StartAsync(cancellationToken).ConfigureAwait(false);
            var lastResync = time.GetTimestamp();
            var resync = true;
            while (!cancellationToken.IsCancellationRequested)
            {
                await PassAsync(resync, cancellationToken).ConfigureAwait(false);
                if (resync)
                {
                    lastResync = time.GetTimestamp();
                }

                var wait = options.ResyncPeriod - time.GetElapsedTime(lastResync);
                if (backoff.NextAttempt is { } next)
                {
                    var retry = next - time.GetUtcNow();
                    wait = retry < wait ? retry : wait;
                }

                wait = wait < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : wait;
                if (await Trigger.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false))
                {
                    // Let a burst of events settle, then take them all as one pass.
                    await Task.Delay(options.Debounce, time, cancellationToken).ConfigureAwait(false);
                    await Trigger.WaitAsync(TimeSpan.Zero, time, cancellationToken).ConfigureAwait(false);
                }

                resync = time.GetElapsedTime(lastResync) >= options.ResyncPeriod;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts the informers and waits for their first lists (tests drive passes themselves after this).
    /// When <paramref name="cancellationToken"/> ends the wait, the informers are stopped again.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (informers is not null)
        {
            return;
        }

        // A new term knows nothing of what earlier leaders desired: what it does not see desired counts as
        // desired until now (GarbageCollection: the grace period runs from the last time an object was desired).
        lastDesired.Clear();
        termStart = time.GetUtcNow();
        var informerLogger = loggers.CreateLogger("EgressTls.Kubernetes.Reconciliation.Informers");
        var io = options.Informer;
        var set = new Informer(
            ReconcilerInformers.Pods(client, Naming.ProfileLabel, io, time, informerLogger),
            ReconcilerInformers.Pods(client, Naming.EnabledLabel + "=true", io, time, informerLogger),
            options.Flux ? ReconcilerInformers.Custom(client, "notification.toolkit.fluxcd.io", ["v1beta3", "v1beta2"], "providers", namespaced: true, null, io, time, informerLogger) : null,
            [.. new[] { options.Render.WebhookNamespace, options.Render.Cilium.EnvoySecretsNamespace, options.Render.Cilium.PolicySecretsNamespace }
                .Distinct(StringComparer.Ordinal)
                .Select(ns => ReconcilerInformers.ManagedSecrets(client, ns, io, time, informerLogger))],
            [
                ReconcilerInformers.Custom(client, "cilium.io", "v2", "ciliumnetworkpolicies", namespaced: true, ReconcilerInformers.ManagedSelector, io, time, informerLogger),
                ReconcilerInformers.Custom(client, "cilium.io", "v2", "ciliumenvoyconfigs", namespaced: true, ReconcilerInformers.ManagedSelector, io, time, informerLogger),
                // Only when listeners go into clusterwide configs: that is when the chart grants access to them.
                .. options.Render.Cilium.ClusterwideEnvoyConfig
                    ? [ReconcilerInformers.Custom(client, "cilium.io", "v2", "ciliumclusterwideenvoyconfigs", namespaced: false, ReconcilerInformers.ManagedSelector, io, time, informerLogger)]
                    : Array.Empty<ResourceInformer<LiveObject>>(),
            ]);
        informers = set;
        namespaces.Changed += OnChange;
        set.Subscribe(OnChange);
        set.SubscribeFailures(OnInformerFailure);
        set.Start();
        namespaces.Start();
        try
        {
            await namespaces.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
            await set.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Never leave informers running that no pass will use: the next start begins with fresh caches.
            await StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the informers (the namespace informer belongs to the shell and keeps running).</summary>
    public async Task StopAsync()
    {
        namespaces.Changed -= OnChange;
        if (Interlocked.Exchange(ref informers, null) is { } set)
        {
            await set.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One pass over the current caches. <paramref name="resync"/> also re-reads copy sources and
    /// re-reports standing problems.</summary>
    public async Task<ReconcilePassResult> PassAsync(bool resync, CancellationToken cancellationToken)
    {
        var set = informers ?? throw new InvalidOperationException("StartAsync first");
        var started = time.GetTimestamp();
        Interlocked.Increment(ref passes);
        var now = time.GetUtcNow();
        if (resync || !bundlesRead)
        {
            await ReadTrustBundlesAsync(namespaces.Items.Select(n => n.Metadata?.Name).OfType<string>(), cancellationToken).ConfigureAwait(false);
            bundlesRead = true;
        }

        var desired = DesiredState.Compute(Input(set), options.Render, render, memo);
        var live = set.Live().Concat(trustBundles.Values).ToDictionary(l => l.Key, StringComparer.Ordinal);
        var applied = new ConcurrentBag<string>();
        var failed = new ConcurrentBag<string>();
        var deleted = new List<string>();

        foreach (var problem in desired.Problems)
        {
            var key = $"{problem.Subject.Namespace}/{problem.Subject.Name}/{problem.Reason}/{problem.Message}";
            if (reportedProblems.Add(key) || resync)
            {
                logger.LogWarning("{Kind} {Namespace}/{Name}: {Message}", problem.Subject.Kind, problem.Subject.Namespace, problem.Subject.Name, problem.Message);
                await events.RecordAsync(problem, cancellationToken).ConfigureAwait(false);
            }
        }

        var failedScopes = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        foreach (var rank in desired.Objects.GroupBy(o => o.ApplyRank).OrderBy(g => g.Key))
        {
            var work = new List<(GeneratedObject Object, string Why)>();
            foreach (var obj in rank)
            {
                var key = ObjectKeys.Of(obj);
                var scope = Scope(obj.Manifest);
                if (failedScopes.ContainsKey(scope) || failedScopes.ContainsKey(""))
                {
                    continue;
                }

                live.TryGetValue(key, out var current);
                var expected = await ExpectedDataAsync(obj, current, live, resync, cancellationToken).ConfigureAwait(false);
                var hash = ContentHash.Compute(obj, ContentHash.UsesMaterial(obj.Content) ? material?.Fingerprint : null);
                var why = DriftCheck.Reason(obj, hash, current, expected, options.LeafRenewal, now);
                if (why is null)
                {
                    backoff.Succeeded(key);
                    continue;
                }

                if (backoff.IsWaiting(key, now))
                {
                    // Still backing off: whatever depends on it waits too.
                    failedScopes[scope] = true;
                    continue;
                }

                work.Add((obj, why));
            }

            await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (item, ct) =>
            {
                var (obj, why) = item;
                var key = ObjectKeys.Of(obj);
                try
                {
                    logger.LogInformation("Reconciling {Kind} {Object}: {Why}", obj.Kind, SecretCopyRules.Describe(obj), why);
                    await applier.ApplyAsync([obj], new ApplyMode(Refresh: true), ct).ConfigureAwait(false);
                    if (obj.Content is TrustBundleContent && obj.Namespace is { } bundleNs)
                    {
                        await ReadTrustBundlesAsync([bundleNs], ct).ConfigureAwait(false);
                    }

                    backoff.Succeeded(key);
                    Metrics.Applied(obj.Kind);
                    applied.Add(key);
                }
                catch (ApplyException e)
                {
                    failed.Add(key);
                    failedScopes[Scope(obj.Manifest)] = true;
                    var delay = backoff.Failed(key, time.GetUtcNow());
                    Metrics.Error(obj.Kind);
                    logger.LogWarning("Reconcile of {Kind} {Object} failed (retrying in {Delay}): {Error}", obj.Kind, SecretCopyRules.Describe(obj), delay, e.Message);
                    var subject = desired.Requesters.GetValueOrDefault(key) ?? WorkloadRef.ForNamespace(ObjectKeys.WorkloadNamespace(obj.Manifest) ?? options.Render.WebhookNamespace);
                    await events.RecordAsync(new WorkloadProblem(subject, "ReconcileFailed", e.Message), ct).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        }

        // Only with complete caches: an informer that has not listed yet would make everything look undesired.
        var desiredKeys = desired.Objects.Select(ObjectKeys.Of).ToHashSet(StringComparer.Ordinal);
        var grace = options.GarbageCollectionGracePeriod;
        foreach (var key in desiredKeys)
        {
            lastDesired[key] = now;
        }

        if (now - termStart >= grace)
        {
            // Past the grace period an entry decides nothing the creation time and the term start do not.
            foreach (var stale in lastDesired.Where(e => now - e.Value >= grace).Select(e => e.Key).ToList())
            {
                lastDesired.Remove(stale);
            }
        }

        if (set.HasSynced && namespaces.HasSynced)
        {
            var plan = GarbageCollection.Plan(live.Values, desiredKeys, desired.Retained, now, new GracePeriod(grace, lastDesired, termStart), options.ProtectedKeys);
            foreach (var rank in plan.GroupBy(o => o.Rank))
            {
                var rankFailed = false;
                foreach (var doomed in rank)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (await DeleteAsync(doomed, cancellationToken).ConfigureAwait(false))
                    {
                        deleted.Add(doomed.Key);
                    }
                    else
                    {
                        rankFailed = true;
                    }
                }

                if (rankFailed)
                {
                    // Never delete a Secret a policy that could not be deleted may still name.
                    break;
                }
            }
        }

        Metrics.Expiry(EarliestLeafExpiry(desired, live), caNotAfter?.Invoke());
        var elapsed = time.GetElapsedTime(started);
        Metrics.PassDuration(elapsed);
        var result = new ReconcilePassResult(desired.Objects.Length, desired.Renders, [.. applied.Order(StringComparer.Ordinal)], [.. failed.Order(StringComparer.Ordinal)], [.. deleted], elapsed);
        LastPass = result;
        if (result.Applied.Length + result.Failed.Length + result.Deleted.Length > 0)
        {
            logger.LogInformation("Reconcile pass: {Desired} desired, {Applied} applied, {Failed} failed, {Deleted} deleted in {Elapsed}",
                result.Desired, result.Applied.Length, result.Failed.Length, result.Deleted.Length, elapsed);
        }

        return result;
    }

    // Failures block what depends on them: objects of the same workload namespace, or everything for shared Secrets.
    private static string Scope(JsonObject manifest) => ObjectKeys.IsShared(manifest) ? "" : ObjectKeys.WorkloadNamespace(manifest) ?? "";

    private void OnChange<T>(WatchEventType type, T obj) => Trigger.Signal();

    // The informer logs each failure; a refusal (403: the RBAC does not grant the resource) stops the first sync, so
    // it is counted for alerting and said once more in terms of what to fix.
    private void OnInformerFailure(string resource, Exception failure)
    {
        var status = ApiCallPipeline.StatusOf(failure);
        Metrics.InformerError(resource, (int?)status);
        if (status is HttpStatusCode.Forbidden && informers is { HasSynced: false })
        {
            logger.LogError("The reconciler cannot start: listing {Resource} is forbidden; grant list and watch on it (the chart's RBAC does)", resource);
        }
    }

    private DesiredStateInput Input(Informer set)
    {
        var nsInfos = namespaces.Items.Where(n => n.Metadata?.Name is not null)
            .ToImmutableDictionary(n => n.Metadata.Name, ModelMapping.ToNamespaceInfo, StringComparer.Ordinal);
        var pods = set.Pods.Concat(set.EnabledPods)
            .DistinctBy(p => (p.Metadata?.NamespaceProperty, p.Metadata?.Name))
            .Select(p => new WorkloadObject("Pod", p.Metadata.NamespaceProperty ?? "", p.Metadata.Name ?? "", p.Metadata.Uid,
                Map(p.Metadata.Labels), Map(p.Metadata.Annotations), p.Status?.Phase,
                () => JsonNode.Parse(KubernetesJson.Serialize(p))!.AsObject()))
            .ToList();
        var providers = set.Providers
            .Select(p => new WorkloadObject("Provider", p.Metadata.NamespaceProperty ?? "", p.Metadata.Name ?? "", p.Metadata.Uid,
                Map(p.Metadata.Labels), Map(p.Metadata.Annotations), null, p.ToJson))
            .ToList();
        var bundles = trustBundles.Keys.ToImmutableHashSet(StringComparer.Ordinal);
        return new DesiredStateInput(nsInfos, pods, providers, bundles);

        static ImmutableSortedDictionary<string, string> Map(IDictionary<string, string>? map) =>
            (map ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal);
    }

    // The data an object must hold when it can be known without issuing anything: trust bundles and public
    // roots from the material, copies from their source Secret (read on resync passes and for new objects), and in
    // cert-manager mode a leaf from the Secret cert-manager keeps renewing (watched: it lives in the release namespace
    // with the managed-by label its Certificate's secretTemplate sets).
    private async Task<IReadOnlyDictionary<string, string>?> ExpectedDataAsync(
        GeneratedObject obj, LiveState? current, IReadOnlyDictionary<string, LiveState> live, bool resync, CancellationToken ct)
    {
        switch (obj.Content)
        {
            case LeafCertificateContent when applier.LeafSource == LeafSource.CertManager && current is not null:
            {
                var issued = ObjectKeys.Of("v1", "Secret", applier.WebhookNamespace, CertManagerCertificates.IssuedSecretName(obj.Name));
                if (!live.TryGetValue(issued, out var source) || source.Manifest["data"] is not JsonObject data ||
                    (string?)data["tls.crt"] is not { Length: > 0 } crt || (string?)data["tls.key"] is not { Length: > 0 } key)
                {
                    // Not issued (or not seen) yet: nothing to compare with.
                    return null;
                }

                return new Dictionary<string, string>(StringComparer.Ordinal) { ["tls.crt"] = crt, ["tls.key"] = key };
            }

            case TrustBundleContent when material is not null:
            {
                var bundle = material.GetTrustBundle();
                return new Dictionary<string, string>(StringComparer.Ordinal) { ["ca.crt"] = bundle.CaPem, ["ca-bundle.crt"] = bundle.BundlePem };
            }

            case CaOnlyContent { SourceName: null } when material is not null:
                return new Dictionary<string, string>(StringComparer.Ordinal) { ["ca.crt"] = B64(material.PublicRootsPem) };
            case CopiedSecretContent copy when resync && current is not null:
                return await SourceDataAsync(copy.SourceNamespace, copy.SourceName, copy.Keys, ct).ConfigureAwait(false);
            case CaOnlyContent { SourceName: { } name, SourceNamespace: { } ns } when resync && current is not null:
                return await SourceDataAsync(ns, name, ["ca.crt"], ct).ConfigureAwait(false);
            default:
                return null;
        }
    }

    private async Task<IReadOnlyDictionary<string, string>?> SourceDataAsync(string ns, string name, ImmutableArray<string> keys, CancellationToken ct)
    {
        try
        {
            var source = await pipeline.ReadAsync(async c => await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: c).ConfigureAwait(false), ct).ConfigureAwait(false);
            return keys.ToDictionary(k => k, k => source.Data?.TryGetValue(k, out var v) == true ? Convert.ToBase64String(v) : "", StringComparer.Ordinal);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            // Gone: an expectation no copy meets, so the apply runs and reports the missing Secret.
            return keys.ToDictionary(k => k, _ => "\0missing", StringComparer.Ordinal);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or Polly.Timeout.TimeoutRejectedException)
        {
            logger.LogWarning("Could not read Secret {Namespace}/{Name} to check its copies: {Error}", ns, name, e.GetType().Name);
            return null;
        }
    }

    private async Task ReadTrustBundlesAsync(IEnumerable<string> names, CancellationToken ct)
    {
        var excluded = options.Render.ExcludedNamespaces.Append("kube-system").Append(options.Render.WebhookNamespace).ToHashSet(StringComparer.Ordinal);
        await Parallel.ForEachAsync(names.Where(n => !excluded.Contains(n)), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (ns, c) =>
        {
            try
            {
                var map = await pipeline.ReadAsync(async t => await client.CoreV1.ReadNamespacedConfigMapAsync(options.Render.TrustBundleName, ns, cancellationToken: t).ConfigureAwait(false), c).ConfigureAwait(false);
                trustBundles[ns] = Informer.Json(map, "v1", "ConfigMap");
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
            {
                trustBundles.TryRemove(ns, out _);
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or Polly.Timeout.TimeoutRejectedException)
            {
                // Keep what was known: an unreadable bundle is neither re-created nor deleted on a guess.
                logger.LogWarning("Could not read ConfigMap {Namespace}/{Name}: {Error}", ns, options.Render.TrustBundleName, e.GetType().Name);
            }
        }).ConfigureAwait(false);
    }

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static DateTimeOffset? EarliestLeafExpiry(DesiredStateResult desired, Dictionary<string, LiveState> live) =>
        desired.Objects.Where(o => o.Content is LeafCertificateContent)
            .Select(o => live.TryGetValue(ObjectKeys.Of(o), out var l) ? DriftCheck.LeafNotAfter(l) : null)
            .Where(t => t is not null)
            .Min();

    private async Task<bool> DeleteAsync(LiveState doomed, CancellationToken ct)
    {
        // The precondition makes the delete fail (409) when the object changed since we looked (an admission
        // re-applied it): then it is needed again and stays.
        var body = new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = doomed.ResourceVersion } };
        try
        {
            // A failed precondition is final (409 again on every attempt), so 409 is not retried here.
            await pipeline.ConditionalWriteAsync(async c =>
            {
                try
                {
                    switch (doomed.Kind)
                    {
                        case "Secret":
                            await client.CoreV1.DeleteNamespacedSecretAsync(doomed.Name, doomed.Namespace, body, cancellationToken: c).ConfigureAwait(false);
                            break;
                        case "ConfigMap":
                            await client.CoreV1.DeleteNamespacedConfigMapAsync(doomed.Name, doomed.Namespace, body, cancellationToken: c).ConfigureAwait(false);
                            break;
                        default:
                            var (group, version, plural) = ResourceNames.Of(doomed.ApiVersion, doomed.Kind);
                            if (doomed.Namespace is null)
                            {
                                await client.CustomObjects.DeleteClusterCustomObjectAsync(group, version, plural, doomed.Name, body, cancellationToken: c).ConfigureAwait(false);
                            }
                            else
                            {
                                await client.CustomObjects.DeleteNamespacedCustomObjectAsync(group, version, doomed.Namespace, plural, doomed.Name, body, cancellationToken: c).ConfigureAwait(false);
                            }

                            break;
                    }
                }
                catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
                {
                    // Already gone (a retried delete whose first answer was lost).
                }

                return true;
            }, ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
        {
            logger.LogInformation("{Kind} {Namespace}/{Name} changed since it was found unneeded; kept", doomed.Kind, doomed.Namespace, doomed.Name);
            return false;
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or Polly.Timeout.TimeoutRejectedException)
        {
            Metrics.Error(doomed.Kind);
            logger.LogWarning("Could not delete {Kind} {Namespace}/{Name}: {Error}", doomed.Kind, doomed.Namespace, doomed.Name, e.Message);
            var subject = WorkloadRef.ForNamespace(ObjectKeys.WorkloadNamespace(doomed.Manifest) ?? options.Render.WebhookNamespace);
            await events.RecordAsync(new WorkloadProblem(subject, "GarbageCollectionFailed", $"could not delete {doomed.Kind} {doomed.Namespace}/{doomed.Name}: {e.GetType().Name}"), ct).ConfigureAwait(false);
            return false;
        }

        if (doomed.Kind == "ConfigMap" && doomed.Namespace is { } ns)
        {
            trustBundles.TryRemove(ns, out _);
        }

        if (applier.LeafSource == LeafSource.CertManager && IsLeaf(doomed))
        {
            await DeleteCertManagerLeafAsync(doomed.Name, ct).ConfigureAwait(false);
        }

        applier.Forget(new GeneratedObject(new JsonObject
        {
            ["apiVersion"] = doomed.ApiVersion,
            ["kind"] = doomed.Kind,
            ["metadata"] = new JsonObject { ["name"] = doomed.Name, ["namespace"] = doomed.Namespace },
        }));
        Metrics.Deleted(doomed.Kind);
        logger.LogInformation("Deleted {Kind} {Namespace}/{Name}: nothing needs it any more", doomed.Kind, doomed.Namespace, doomed.Name);
        return true;
    }

    // A leaf is a shared TLS Secret (the public roots are shared too, but CA-only).
    private static bool IsLeaf(LiveState o) =>
        o.Kind == "Secret" && (string?)o.Manifest["type"] == "kubernetes.io/tls" && ObjectKeys.IsShared(o.Manifest);

    // cert-manager mode: the leaf's Certificate (same name, release namespace) and the Secret cert-manager wrote for
    // it go with the leaf; cert-manager itself keeps the Secret after its Certificate is deleted (unless run with
    // --enable-certificate-owner-ref). Best effort: what is already gone is fine, a failure is logged.
    private async Task DeleteCertManagerLeafAsync(string leafName, CancellationToken ct)
    {
        var ns = applier.WebhookNamespace;
        var issued = CertManagerCertificates.IssuedSecretName(leafName);
        try
        {
            await pipeline.ConditionalWriteAsync(async c =>
            {
                try
                {
                    await client.CustomObjects.DeleteNamespacedCustomObjectAsync("cert-manager.io", "v1", ns, "certificates", leafName, cancellationToken: c).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
                {
                }

                try
                {
                    await client.CoreV1.DeleteNamespacedSecretAsync(issued, ns, cancellationToken: c).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
                {
                }

                return true;
            }, ct).ConfigureAwait(false);
            Metrics.Deleted("Certificate");
            logger.LogInformation("Deleted cert-manager Certificate {Namespace}/{Name} and its Secret {Issued} with their leaf", ns, leafName, issued);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or Polly.Timeout.TimeoutRejectedException)
        {
            Metrics.Error("Certificate");
            logger.LogWarning("Could not delete cert-manager Certificate {Namespace}/{Name} or its Secret {Issued}: {Error}", ns, leafName, issued, e.Message);
        }
    }

    private sealed class Informer(
        ResourceInformer<V1Pod> pods,
        ResourceInformer<V1Pod> enabledPods,
        ResourceInformer<LiveObject>? providers,
        IReadOnlyList<ResourceInformer<V1Secret>> secrets,
        IReadOnlyList<ResourceInformer<LiveObject>> generated) : IAsyncDisposable
    {
        public IReadOnlyCollection<V1Pod> Pods => pods.Items;

        public IReadOnlyCollection<V1Pod> EnabledPods => enabledPods.Items;

        public IReadOnlyCollection<LiveObject> Providers => providers?.Items ?? [];

        public bool HasSynced => pods.HasSynced && enabledPods.HasSynced && (providers?.HasSynced ?? true) && secrets.All(i => i.HasSynced) && generated.All(g => g.HasSynced);

        public void Subscribe(Action<WatchEventType, object> handler)
        {
            pods.Changed += (t, o) => handler(t, o);
            enabledPods.Changed += (t, o) => handler(t, o);
            providers?.Changed += (t, o) => handler(t, o);
            foreach (var i in secrets)
            {
                i.Changed += (t, o) => handler(t, o);
            }
            foreach (var g in generated)
            {
                g.Changed += (t, o) => handler(t, o);
            }
        }

        public void SubscribeFailures(Action<string, Exception> handler)
        {
            pods.Failed += e => handler(pods.Resource, e);
            enabledPods.Failed += e => handler(enabledPods.Resource, e);
            providers?.Failed += e => handler(providers.Resource, e);
            foreach (var i in secrets)
            {
                i.Failed += e => handler(i.Resource, e);
            }

            foreach (var g in generated)
            {
                g.Failed += e => handler(g.Resource, e);
            }
        }

        public void Start()
        {
            pods.Start();
            enabledPods.Start();
            providers?.Start();
            foreach (var i in secrets)
            {
                i.Start();
            }
            foreach (var g in generated)
            {
                g.Start();
            }
        }

        public async Task WaitForSyncAsync(CancellationToken ct)
        {
            var all = new List<Task> { pods.WaitForSyncAsync(ct), enabledPods.WaitForSyncAsync(ct) };
            all.AddRange(secrets.Select(i => i.WaitForSyncAsync(ct)));
            if (providers is not null)
            {
                all.Add(providers.WaitForSyncAsync(ct));
            }

            all.AddRange(generated.Select(g => g.WaitForSyncAsync(ct)));
            await Task.WhenAll(all).ConfigureAwait(false);
        }

        public IEnumerable<LiveState> Live() =>
            secrets.SelectMany(i => i.Items).Select(s => Json(s, "v1", "Secret"))
                .Concat(generated.SelectMany(g => g.Items).Select(o => new LiveState(o.ToJson())));

        public async ValueTask DisposeAsync()
        {
            await pods.DisposeAsync().ConfigureAwait(false);
            await enabledPods.DisposeAsync().ConfigureAwait(false);
            if (providers is not null)
            {
                await providers.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var i in secrets)
            {
                await i.DisposeAsync().ConfigureAwait(false);
            }
            foreach (var g in generated)
            {
                await g.DisposeAsync().ConfigureAwait(false);
            }
        }

        // Lists omit apiVersion/kind on items: set them, so keys match the desired objects.
        internal static LiveState Json(object o, string apiVersion, string kind)
        {
            var json = JsonNode.Parse(KubernetesJson.Serialize(o))!.AsObject();
            json["apiVersion"] = apiVersion;
            json["kind"] = kind;
            return new LiveState(json);
        }
    }
}
