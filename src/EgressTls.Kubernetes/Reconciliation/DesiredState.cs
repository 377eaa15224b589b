using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>
/// The reconciler's desired state, pure: every object that opted-in pods and Providers need, derived the way
/// admission derived it. Pods of one profile in one namespace share their objects by construction (the
/// profile id is a hash of what shapes them), so one representative per (namespace, profile) is rendered, as
/// a CREATE of the pod as it is now: an already-mutated pod renders to an empty patch plus its objects. 10,000
/// pods of 3 profiles in 1,000 namespaces cost 3,000 renders. Each Provider is rendered on its own.
/// </summary>
public static class DesiredState
{
    /// <summary>Label on the objects generated for a Flux Provider (the Provider's name, <see cref="Naming.LabelValue"/>).</summary>
    public const string ProviderLabel = Naming.ProviderLabel;

    /// <summary>
    /// Computes the desired objects. <paramref name="render"/> defaults to <see cref="Renderer.Render(RenderInput, RenderOptions)"/>;
    /// <paramref name="memo"/> (optional, owned by the caller across passes) remembers results by what they
    /// depend on (the representative's uid, labels and annotations, its namespace's labels and annotations), so a
    /// pass triggered by pod status churn renders nothing new.
    /// </summary>
    public static DesiredStateResult Compute(
        DesiredStateInput input,
        RenderOptions options,
        Func<RenderInput, RenderOptions, RenderResult>? render = null,
        ConcurrentDictionary<string, RenderResult>? memo = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        render ??= Renderer.Render;
        var renders = 0;
        var objects = new Dictionary<string, GeneratedObject>(StringComparer.Ordinal);
        var requesters = ImmutableDictionary.CreateBuilder<string, WorkloadRef>(StringComparer.Ordinal);
        var retained = new List<RetainedScope>();
        var problems = new List<WorkloadProblem>();
        var trustNeeded = new SortedSet<string>(StringComparer.Ordinal);

        // Terminal pods need nothing; pods of a namespace that is gone need nothing either.
        var live = input.Pods
            .Where(p => p.Phase is not ("Succeeded" or "Failed") && input.Namespaces.ContainsKey(p.Namespace))
            .ToList();
        foreach (var pod in live)
        {
            if (HasTrust(pod))
            {
                trustNeeded.Add(pod.Namespace);
            }
        }

        var groups = live
            .GroupBy(p => (p.Namespace, Profile: p.Labels.GetValueOrDefault(Naming.ProfileLabel) ?? ""))
            .OrderBy(g => g.Key.Namespace, StringComparer.Ordinal).ThenBy(g => g.Key.Profile, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            // Deterministic representative: the first by name.
            var representative = group.MinBy(p => p.Name, StringComparer.Ordinal)!;
            var ns = input.Namespaces[group.Key.Namespace];
            var result = RenderOne(representative, ns);
            var profile = group.Key.Profile.Length == 0 ? null : group.Key.Profile;
            switch (result)
            {
                case Mutated m when RenderedProfile(m) == profile:
                    Add(m.Objects, representative.Ref);
                    break;
                case Mutated m:
                    // Admission put these pods under profile P; what they would get now differs (their namespace's
                    // defaults changed). The running pods keep P's policy until they are replaced.
                    Add(m.Objects.Where(o => o.Content is TrustBundleContent), representative.Ref);
                    Retain(group.Key.Namespace, profile, null, representative.Ref, "ProfileChanged",
                        $"pods of profile {profile ?? "(none)"} would now get profile {RenderedProfile(m) ?? "(none)"}; their objects are kept unchanged until the pods are recreated");
                    break;
                case Rejected r:
                    Retain(group.Key.Namespace, profile, null, representative.Ref, "ReconcileFailed",
                        $"the pod's egress-tls configuration is no longer valid: {string.Join("; ", r.Errors.Select(e => e.ToString()))}; its objects are kept unchanged");
                    break;
                case Skipped s when profile is not null:
                    Retain(group.Key.Namespace, profile, null, representative.Ref, "ReconcileSkipped",
                        $"egress-tls would no longer mutate this pod ({s.Detail}); the objects of profile {profile} are kept until its pods are gone");
                    break;
                default:
                    break;
            }
        }

        foreach (var provider in input.Providers.OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            if (!input.Namespaces.TryGetValue(provider.Namespace, out var ns))
            {
                continue;
            }

            switch (RenderOne(provider, ns))
            {
                case Mutated m:
                    Add(m.Objects, provider.Ref);
                    break;
                case Rejected r:
                    Retain(provider.Namespace, null, Naming.LabelValue(provider.Name), provider.Ref, "ReconcileFailed",
                        $"the Provider's egress-tls configuration is no longer valid: {string.Join("; ", r.Errors.Select(e => e.ToString()))}; its objects are kept unchanged");
                    break;
                default:
                    // Skipped: not opted in (any more), so nothing is desired and its objects go.
                    break;
            }
        }

        // Pods that only mount the trust bundle carry no profile label, so some of them may be invisible here:
        // a bundle that exists in a namespace that is still opted in stays (and is refreshed).
        foreach (var ns in input.ExistingTrustBundles)
        {
            if (input.Namespaces.TryGetValue(ns, out var info) && info.Labels.GetValueOrDefault(Naming.EnabledLabel) == "true")
            {
                trustNeeded.Add(ns);
            }
        }

        foreach (var ns in trustNeeded)
        {
            var bundle = TrustBundle(ns, options);
            if (!objects.ContainsKey(ObjectKeys.Of(bundle)))
            {
                Add([bundle], WorkloadRef.ForNamespace(ns));
            }
        }

        var ordered = objects
            .OrderBy(p => p.Value.ApplyRank).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Value)
            .ToImmutableArray();
        return new DesiredStateResult(ordered, requesters.ToImmutable(), [.. retained], [.. problems], renders);

        RenderResult RenderOne(WorkloadObject workload, NamespaceInfo ns)
        {
            var key = MemoKey(workload, ns);
            if (memo is not null && memo.TryGetValue(key, out var known))
            {
                return known;
            }

            RenderResult result;
            try
            {
                renders++;

                // SecretsComplete=false: Secrets were checked at admission; a Secret deleted since then is reported
                // when its copy is applied (the applier reads it), not by refusing the whole profile here.
                result = render(new RenderInput(workload.Manifest(), AdmissionOperation.Create, ns, ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false), options);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Render is total; an exception is a bug, reported rather than stopping every other namespace.
                result = new Rejected([new FieldError("metadata", $"internal error while rendering: {e.GetType().Name}")]);
            }

            if (memo is not null)
            {
                if (memo.Count > 100_000)
                {
                    memo.Clear();
                }

                memo[key] = result;
            }

            return result;
        }

        void Add(IEnumerable<GeneratedObject> generated, WorkloadRef requester)
        {
            foreach (var o in generated)
            {
                var key = ObjectKeys.Of(o);
                if (objects.TryAdd(key, o))
                {
                    requesters[key] = requester;
                }
            }
        }

        void Retain(string ns, string? profile, string? provider, WorkloadRef subject, string reason, string message)
        {
            if (profile is not null || provider is not null)
            {
                retained.Add(new RetainedScope(ns, profile, provider));
            }

            problems.Add(new WorkloadProblem(subject, reason, message));
        }
    }

    /// <summary>The namespace trust bundle ConfigMap, exactly as admission generates it (data filled by the applier).</summary>
    public static GeneratedObject TrustBundle(string namespaceName, RenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Renderer.TrustBundle(namespaceName, options);
    }

    // The profile the render put the pod under (the label on its policy and Envoy config).
    private static string? RenderedProfile(Mutated m) =>
        m.Objects.Select(o => ObjectKeys.Label(o.Manifest, Naming.ProfileLabel)).FirstOrDefault(p => p is not null);

    private static bool HasTrust(WorkloadObject pod)
    {
        if (!pod.Annotations.TryGetValue(TrustStatus.Key, out var status))
        {
            return false;
        }

        try
        {
            return JsonNode.Parse(status) is JsonObject o && o["trust"] is JsonObject;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string MemoKey(WorkloadObject w, NamespaceInfo ns) => Naming.ShortHash(string.Join('\u0001',
        w.Kind, w.Namespace, w.Name, w.Uid ?? "",
        string.Join('\u0002', w.Labels.Select(p => p.Key + "=" + p.Value)),
        string.Join('\u0002', w.Annotations.Select(p => p.Key + "=" + p.Value)),
        string.Join('\u0002', ns.Labels.Select(p => p.Key + "=" + p.Value)),
        string.Join('\u0002', ns.Annotations.Select(p => p.Key + "=" + p.Value))), 32);
}
