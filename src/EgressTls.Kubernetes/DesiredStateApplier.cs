using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Kubernetes;

/// <summary>
/// Makes generated objects exist. Fills Secret and ConfigMap content (leaf from the CA or cert-manager, copy of
/// a user Secret, CA-only Secret, trust bundle) and server-side applies every object with one field manager
/// and force, rank by rank (Secrets/ConfigMaps, then Envoy configs, then policies: a policy naming a missing
/// Secret or listener fails endpoint regeneration, Cilium PR #9897), objects of one rank in parallel.
/// A write is skipped when the object's content hash (annotation <see cref="ContentHash.Annotation"/>) equals
/// what this process applied or found within <see cref="ApplierOptions.TrustAppliedFor"/> (zero API calls for a
/// known profile) or what the cluster already holds (one GET after a restart or once that time has passed, so
/// a restart never re-issues a leaf and an object the leader collected is written again). Concurrent callers for the same object and
/// hash share one write (single flight).
/// </summary>
public sealed class DesiredStateApplier : IDesiredStateApplier
{
    private readonly ObjectClient objects;
    private readonly ApplierOptions options;
    private readonly ICertificateMaterial? material;
    private readonly ApiCallPipeline pipeline;
    private readonly ILogger logger;
    // Key -> the content hash last applied or found, and when (TimeProvider timestamp; trusted for TrustAppliedFor).
    private readonly ConcurrentDictionary<string, (string Hash, long At)> lastApplied = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Key, string Hash), Lazy<Task>> inFlight = new();

    // The latest problem met while applying an object, so a caller whose budget ends while the shared work
    // still retries learns why (user-safe text: status codes and API messages, never data).
    private readonly ConcurrentDictionary<string, string> problems = new(StringComparer.Ordinal);

    /// <summary>Creates the applier. <paramref name="material"/> may be null when no content needs the PKI
    /// (e.g. cert-manager mode without trust bundles); content that needs it then fails with an ApplyException.</summary>
    public DesiredStateApplier(IKubernetes client, ApplierOptions options, ICertificateMaterial? material, ApiCallPipeline pipeline, ILogger<DesiredStateApplier>? logger = null)
    {
        objects = new ObjectClient(client);
        this.options = options;
        this.material = material;
        this.pipeline = pipeline;
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Objects whose last applied hash is cached.</summary>
    public int CachedCount => lastApplied.Count;

    /// <summary>Where leaf certificates come from (cert-manager mode copies them from cert-manager's Secret).</summary>
    public LeafSource LeafSource => options.LeafSource;

    /// <summary>The release namespace (cert-manager Certificates and the Secrets cert-manager writes live there).</summary>
    public string WebhookNamespace => options.WebhookNamespace;

    /// <summary>Forgets what was applied (the reconciler calls this after a resync found drift).</summary>
    public void Forget(GeneratedObject obj) => lastApplied.TryRemove(KeyOf(obj), out _);

    /// <inheritdoc />
    public Task ApplyAsync(IReadOnlyList<GeneratedObject> objects, CancellationToken cancellationToken) =>
        ApplyAsync(objects, ApplyMode.Admission, cancellationToken);

    /// <summary>Applies <paramref name="desired"/> rank by rank within the caller's budget
    /// (<paramref name="cancellationToken"/>); throws <see cref="ApplyException"/> naming what failed.</summary>
    public async Task ApplyAsync(IReadOnlyList<GeneratedObject> desired, ApplyMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(mode);
        foreach (var rank in desired.GroupBy(o => o.ApplyRank).OrderBy(g => g.Key))
        {
            var tasks = rank.Select(o => ApplyOneAsync(o, mode, cancellationToken)).ToList();
            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            catch (Exception) when (tasks.Any(t => t.IsFaulted || t.IsCanceled))
            {
                var failures = tasks.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).OfType<ApplyException>().ToList();
                var message = failures.Count > 0
                    ? string.Join("; ", failures.Select(f => f.Message))
                    : "timed out applying the objects this workload needs";
                var later = desired.Count(o => o.ApplyRank > rank.Key);
                if (later > 0)
                {
                    message += $" ({later} dependent object{(later == 1 ? "" : "s")} not applied)";
                }

                throw new ApplyException(message, failures.FirstOrDefault());
            }
        }
    }

    private static string KeyOf(GeneratedObject o) => $"{o.ApiVersion}/{o.Kind}/{o.Namespace}/{o.Name}";

    private async Task ApplyOneAsync(GeneratedObject obj, ApplyMode mode, CancellationToken ct)
    {
        var hash = ContentHash.Compute(obj, ContentHash.UsesMaterial(obj.Content) ? material?.Fingerprint : null);
        var key = KeyOf(obj);
        if (mode.DryRun)
        {
            await RunAsync(obj, hash, mode, ct).ConfigureAwait(false);
            return;
        }

        if (!mode.Refresh && lastApplied.TryGetValue(key, out var known) && known.Hash == hash
            && options.Time.GetElapsedTime(known.At) < options.TrustAppliedFor)
        {
            return;
        }

        var lazy = inFlight.GetOrAdd((key, hash), k => new Lazy<Task>(() => RunSharedAsync(obj, k.Key, k.Hash, mode)));
        try
        {
            await lazy.Value.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            var problem = problems.TryGetValue(key, out var p) ? $": {p}" : "";
            throw new ApplyException($"timed out applying {obj.Kind} {SecretCopyRules.Describe(obj)}{problem}");
        }
    }

    private async Task RunSharedAsync(GeneratedObject obj, string key, string hash, ApplyMode mode)
    {
        // The shared work has its own deadline: callers that joined it wait with their own budgets.
        using var cts = new CancellationTokenSource(options.SharedWorkTimeout);
        try
        {
            await Task.Yield();
            await RunAsync(obj, hash, mode, cts.Token).ConfigureAwait(false);
            if (lastApplied.Count >= options.MaxCacheEntries)
            {
                lastApplied.Clear();
            }

            lastApplied[key] = (hash, options.Time.GetTimestamp());
            problems.TryRemove(key, out _);
        }
        finally
        {
            inFlight.TryRemove((key, hash), out _);
        }
    }

    private async Task RunAsync(GeneratedObject obj, string hash, ApplyMode mode, CancellationToken ct)
    {
        Exception? lastError = null;
        try
        {
            if (!mode.DryRun && !mode.Refresh)
            {
                // After a restart the cache is empty: adopt what the cluster holds when its hash matches.
                var existing = await pipeline.ReadAsync(async c => await Track(() => objects.GetAsync(obj.ApiVersion, obj.Kind, obj.Namespace, obj.Name, c)).ConfigureAwait(false), ct).ConfigureAwait(false);
                if ((string?)existing?["metadata"]?["annotations"]?[ContentHash.Annotation] == hash)
                {
                    logger.LogDebug("{Kind} {Object} is up to date", obj.Kind, SecretCopyRules.Describe(obj));
                    return;
                }
            }

            var manifest = await MaterializeAsync(obj, mode, ct).ConfigureAwait(false);
            var meta = manifest["metadata"]!.AsObject();
            if (meta["annotations"] is not JsonObject annotations)
            {
                annotations = new JsonObject();
                meta["annotations"] = annotations;
            }

            annotations[ContentHash.Annotation] = hash;
            await pipeline.WriteAsync(async c =>
            {
                await Track(async () =>
                {
                    await objects.ApplyAsync(manifest, options.FieldManager, mode.DryRun, c).ConfigureAwait(false);
                    return true;
                }).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
            logger.LogInformation("Applied {Kind} {Object}{DryRun}", obj.Kind, SecretCopyRules.Describe(obj), mode.DryRun ? " (dry run)" : "");
        }
        catch (ApplyException)
        {
            throw;
        }
        catch (Exception e) when (e is OperationCanceledException or HttpOperationException or HttpRequestException or IOException or Polly.Timeout.TimeoutRejectedException)
        {
            var cause = lastError ?? e;
            var why = Why(cause);
            logger.LogWarning("Could not apply {Kind} {Object}: {Why}", obj.Kind, SecretCopyRules.Describe(obj), why);
            throw new ApplyException($"could not apply {obj.Kind} {SecretCopyRules.Describe(obj)}: {why}", cause);
        }

        async Task<T> Track<T>(Func<Task<T>> call)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                lastError = e;
                problems[KeyOf(obj)] = Why(e);
                throw;
            }
        }
    }

    private static string Why(Exception cause) => cause switch
    {
        HttpOperationException { Response: { } r } => $"the API server answered {(int)r.StatusCode} {r.StatusCode}{Reason(r.Content)}",
        OperationCanceledException or Polly.Timeout.TimeoutRejectedException => "no answer in time",
        _ => "the API server could not be reached",
    };

    // The Status message of an API error, which never carries object data.
    private static string Reason(string? statusBody)
    {
        try
        {
            return JsonNode.Parse(statusBody ?? "") is JsonObject s && (string?)s["message"] is { Length: > 0 } m ? $" ({m})" : "";
        }
        catch (System.Text.Json.JsonException)
        {
            return "";
        }
    }

    private async Task<JsonObject> MaterializeAsync(GeneratedObject obj, ApplyMode mode, CancellationToken ct)
    {
        var manifest = obj.Manifest.DeepClone().AsObject();
        if (obj.Content is null || mode.DryRun)
        {
            return manifest;
        }

        switch (obj.Content)
        {
            case LeafCertificateContent leaf when options.LeafSource == LeafSource.CertManager:
            {
                var issued = await FromCertManagerAsync(obj, leaf, ct).ConfigureAwait(false);
                SetSecretData(manifest, "kubernetes.io/tls", new() { ["tls.crt"] = issued["tls.crt"], ["tls.key"] = issued["tls.key"] });
                break;
            }

            case LeafCertificateContent leaf:
            {
                var issued = Material(obj).GetLeaf(leaf.DnsNames, leaf.IpAddresses);
                SetSecretData(manifest, "kubernetes.io/tls", new()
                {
                    ["tls.crt"] = Encoding.UTF8.GetBytes(issued.CertificateChainPem),
                    ["tls.key"] = Encoding.UTF8.GetBytes(issued.PrivateKeyPem),
                });
                break;
            }

            case CopiedSecretContent copy:
            {
                var source = await ReadSourceAsync(obj, copy.SourceNamespace, copy.SourceName, ct).ConfigureAwait(false);
                var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                foreach (var k in copy.Keys)
                {
                    data[k] = source.Data?.TryGetValue(k, out var v) == true ? v
                        : throw new ApplyException($"Secret {copy.SourceNamespace}/{copy.SourceName} has no key {k} (needed for {obj.Kind} {SecretCopyRules.Describe(obj)})");
                }

                SetSecretData(manifest, (string?)manifest["type"] ?? source.Type ?? "Opaque", data);
                break;
            }

            case CaOnlyContent { SourceName: null }:
                SetSecretData(manifest, "Opaque", new() { ["ca.crt"] = Encoding.UTF8.GetBytes(Material(obj).PublicRootsPem) });
                break;
            case CaOnlyContent ca:
            {
                var source = await ReadSourceAsync(obj, ca.SourceNamespace, ca.SourceName!, ct).ConfigureAwait(false);
                var value = source.Data?.TryGetValue("ca.crt", out var v) == true ? v
                    : throw new ApplyException($"Secret {ca.SourceNamespace}/{ca.SourceName} has no key ca.crt (needed for {obj.Kind} {SecretCopyRules.Describe(obj)})");

                // CA-only: no tls.* keys, so Cilium publishes it as a validation context (fact sheet 0.4).
                SetSecretData(manifest, "Opaque", new() { ["ca.crt"] = value });
                break;
            }

            case TrustBundleContent:
            {
                if (material is CertManagerTrustMaterial { AnchorPem: null } certManager)
                {
                    // The issuer's CA arrives with the first issued Secret, usually the leaf of this same admission.
                    try
                    {
                        await certManager.WaitForAnchorAsync(ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        problems[KeyOf(obj)] = "the cert-manager issuer's CA is not known yet";
                        throw;
                    }
                }

                var bundle = Material(obj).GetTrustBundle();
                manifest["data"] = new JsonObject { ["ca.crt"] = bundle.CaPem, ["ca-bundle.crt"] = bundle.BundlePem };
                manifest["binaryData"] = new JsonObject { ["truststore.p12"] = Convert.ToBase64String(bundle.TrustStoreP12) };
                break;
            }

            default:
                throw new ApplyException($"{obj.Kind} {SecretCopyRules.Describe(obj)}: unsupported content {obj.Content.GetType().Name}");
        }

        return manifest;
    }

    private ICertificateMaterial Material(GeneratedObject obj) =>
        material ?? throw new ApplyException($"{obj.Kind} {SecretCopyRules.Describe(obj)}: the interception CA is not available");

    private static void SetSecretData(JsonObject manifest, string type, Dictionary<string, byte[]> data)
    {
        manifest["type"] ??= type;
        var node = new JsonObject();
        foreach (var (k, v) in data.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            node[k] = Convert.ToBase64String(v);
        }

        manifest["data"] = node;
        manifest.Remove("stringData");
    }

    private async Task<V1Secret> ReadSourceAsync(GeneratedObject target, string? ns, string name, CancellationToken ct)
    {
        if (SecretCopyRules.Violation(target, ns, options.WebhookNamespace) is { } violation)
        {
            throw new ApplyException(violation);
        }

        try
        {
            return await pipeline.ReadAsync(async c => await objects.Client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: c).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ApplyException($"Secret {ns}/{name} not found (needed for {target.Kind} {SecretCopyRules.Describe(target)})");
        }
    }

    private async Task<Dictionary<string, byte[]>> FromCertManagerAsync(GeneratedObject obj, LeafCertificateContent leaf, CancellationToken ct)
    {
        var issuer = options.CertManagerIssuer ?? throw new ApplyException("cert-manager mode needs an issuer (ca.certManager.issuerName)");
        var certificate = CertManagerCertificates.Build(obj, leaf, issuer, options.WebhookNamespace, options.LeafDuration, options.LeafRenewBefore);
        await pipeline.WriteAsync(async c =>
        {
            await objects.ApplyAsync(certificate, options.FieldManager, dryRun: false, c).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);

        var issuedName = CertManagerCertificates.IssuedSecretName(obj.Name);
        while (true)
        {
            var secret = await pipeline.ReadAsync(async c =>
            {
                try
                {
                    return await objects.Client.CoreV1.ReadNamespacedSecretAsync(issuedName, options.WebhookNamespace, cancellationToken: c).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
                {
                    return null;
                }
            }, ct).ConfigureAwait(false);
            if (secret?.Data is { } data && data.TryGetValue("tls.crt", out var crt) && crt.Length > 0 && data.TryGetValue("tls.key", out var key) && key.Length > 0)
            {
                // The issuer's CA, for trust bundles; it never goes into the leaf Secret.
                if (material is CertManagerTrustMaterial trust && data.TryGetValue("ca.crt", out var ca) && ca.Length > 0)
                {
                    trust.Learn(Encoding.UTF8.GetString(ca));
                }

                // Only tls.crt and tls.key: cert-manager's ca.crt must not reach a terminatingTLS Secret (Cilium #31761).
                return new Dictionary<string, byte[]>(StringComparer.Ordinal) { ["tls.crt"] = crt, ["tls.key"] = key };
            }

            problems[KeyOf(obj)] = $"cert-manager has not issued Certificate {options.WebhookNamespace}/{obj.Name} yet (Secret {issuedName}); retry shortly";
            try
            {
                await Task.Delay(options.CertManagerPollInterval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new ApplyException($"cert-manager has not issued Certificate {options.WebhookNamespace}/{obj.Name} yet (Secret {issuedName}); retry shortly");
            }
        }
    }
}
