using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Annotations;
using EgressTls.Core.Cilium;
using EgressTls.Core.Flux;
using EgressTls.Core.Injection;
using EgressTls.Core.Model;
using EgressTls.Core.Patching;
using static EgressTls.Core.JsonMembers;

namespace EgressTls.Core.Rendering;

/// <summary>
/// The one pure entry point shared by the webhook and <c>render</c>: an object and its context in, a
/// decision out (skip, reject with every error, or mutate with a patch and the objects it needs).
/// </summary>
public static class Renderer
{
    /// <summary>
    /// Decides what egress-tls does with <paramref name="input"/>. Total: never throws for user input.
    /// Deterministic (same input, byte-identical output) and idempotent: rendering a pod this method
    /// already mutated gives a <see cref="Mutated"/> with an empty patch.
    /// </summary>
    public static RenderResult Render(RenderInput input, RenderOptions options) =>
        Render(input, options, CiliumObjects.Generate);

    /// <summary>
    /// Like <see cref="Render(RenderInput, RenderOptions)"/>, with the Cilium objects of a profile taken from
    /// <paramref name="generations"/> when it holds them (the admission path: every pod of a profile needs
    /// the same objects). Gives byte-identical results.
    /// </summary>
    public static RenderResult Render(RenderInput input, RenderOptions options, CiliumGenerationCache generations) =>
        Render(input, options, generations, prepared: null);

    /// <summary>
    /// Like <see cref="Render(RenderInput, RenderOptions, CiliumGenerationCache)"/>, reusing the annotations
    /// <see cref="Prepare(JsonObject, NamespaceInfo, RenderOptions)"/> already resolved and parsed for the same object, namespace and options (the
    /// admission path: the pre-step runs before the Secrets are read, Render after). They are parsed again
    /// only when a referenced Secret is missing or unfit, the one way Secrets change the parse. Gives
    /// byte-identical results.
    /// </summary>
    public static RenderResult Render(RenderInput input, RenderOptions options, CiliumGenerationCache generations, RenderPreparation? prepared)
    {
        ArgumentNullException.ThrowIfNull(generations);
        return Render(input, options, generations.Generate, prepared);
    }

    /// <summary>
    /// The pre-step of <see cref="Render(RenderInput, RenderOptions, CiliumGenerationCache, RenderPreparation?)"/>:
    /// the names of the Secrets to read (<see cref="RenderPreparation.SecretNames"/>, as
    /// <see cref="ReferencedSecretNames"/>) and, for a pod, what its annotations decide, for Render to reuse.
    /// </summary>
    public static RenderPreparation Prepare(JsonObject obj, NamespaceInfo ns, RenderOptions options) =>
        Prepare(obj, ns, options, intents: null);

    /// <summary>
    /// Like <see cref="Prepare(JsonObject, NamespaceInfo, RenderOptions)"/>, with what a pod's annotations
    /// decide taken from <paramref name="intents"/> when another pod with the same <c>egress-tls.io/</c>
    /// annotations, namespace and options was prepared before, and the annotations read from
    /// <paramref name="element"/>, the same object as parsed JSON, when given. Render gives byte-identical results.
    /// </summary>
    public static RenderPreparation Prepare(JsonObject obj, NamespaceInfo ns, RenderOptions options, PodIntentCache? intents, JsonElement? element = null)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(options);
        if (element is { } given ? FluxProvider.IsProvider(given) : FluxProvider.IsProvider(obj))
        {
            return new RenderPreparation(obj, ns, options, ProviderRenderer.ReferencedSecretNames(obj), null);
        }

        var annotations = element is { } e ? OwnAnnotations(e) : OwnAnnotations(obj);
        var intent = intents?.Get(annotations, ns, options) ?? PodIntentCache.Make(annotations, ns, options);
        return new RenderPreparation(obj, ns, options, intent.SecretNames, intent);
    }

    /// <summary>
    /// The names of the Secrets in the object's namespace that its effective annotations reference, so the
    /// shell can fetch exactly those before calling <see cref="Render(RenderInput, RenderOptions)"/> once.
    /// Invalid annotations yield no names (Render reports them). For a Flux Provider with
    /// <c>egress-tls.io/mtls</c>: its <c>cert=</c>/<c>ca=</c> Secrets and its <c>spec.secretRef</c> and
    /// <c>spec.certSecretRef</c> Secrets, whose key names decide refusals and the server CA.
    /// </summary>
    public static ImmutableSortedSet<string> ReferencedSecretNames(JsonObject obj, NamespaceInfo ns, RenderOptions options) =>
        Prepare(obj, ns, options).SecretNames;

    /// <summary>Render with an explicit Cilium generator (the seam tests use).</summary>
    internal static RenderResult Render(
        RenderInput input, RenderOptions options, Func<EgressProfile, RenderOptions, CiliumGeneration> generate, RenderPreparation? prepared = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        var pod = input.Object;

        // Flux notification-controller Providers have their own branch: same opt-in, different intent.
        if (input.ObjectElement is { } given ? FluxProvider.IsProvider(given) : FluxProvider.IsProvider(pod))
        {
            return ProviderRenderer.Render(input, options, generate);
        }

        // The pod is read as parsed JSON (the review's in the admission path): no node is made for any part of it.
        var element = input.ObjectElement ?? JsonSerializer.SerializeToElement(pod);
        if (TopString(element, "kind"u8) is var kind && kind != "Pod")
        {
            return new Skipped(SkipReasons.KindNotSupported, $"egress-tls mutates Pods and Flux Providers ({FluxProvider.V1Beta3}, {FluxProvider.V1Beta2}); {ValueQuote.Quote(kind ?? "(no kind)")} {(kind == FluxProvider.Kind ? "of " + ValueQuote.Quote(TopString(element, "apiVersion"u8) ?? "(no apiVersion)") + " " : string.Empty)}is not supported");
        }

        if (input.Operation != AdmissionOperation.Create)
        {
            return new Skipped(SkipReasons.OperationNotCreate, $"egress-tls mutates pods only when they are created, not on {input.Operation.ToString().ToUpperInvariant()}");
        }

        var ns = input.Namespace;
        if ((Excluded(ns, options) ?? NotOptedIn(EnabledLabel(element), ns, "pod")) is { } skipped)
        {
            return skipped;
        }

        prepared = prepared is not null && prepared.IsFor(pod, ns, options) ? prepared : null;
        var effective = prepared?.Effective ?? EffectiveAnnotations.Resolve(StringMap(pod, "annotations"), ns, options);
        if (effective.Values.IsEmpty)
        {
            return effective.HasUnknownKeys
                ? new Mutated([], [], effective.Warnings)
                : new Skipped(SkipReasons.NoAnnotations, "no egress-tls annotation applies to the pod");
        }

        var request = prepared?.Request is { } parsed && AnnotationParser.SecretsPass(parsed, input.Secrets, input.SecretsComplete)
            ? parsed
            : AnnotationParser.Parse(effective, ns.Name, input.Secrets, input.SecretsComplete);
        var errors = request.Errors.ToBuilder();
        errors.AddRange(PodShape.Check(element));
        if (request.NeedsCilium && Member(Member(element, "spec"u8, JsonValueKind.Object), "hostNetwork"u8, JsonValueKind.True) is not null)
        {
            // Cilium policies select endpoints, and a host-network pod is the node's endpoint, not its own:
            // no CiliumNetworkPolicy redirects its traffic. Trust injection alone still works.
            errors.Add(new FieldError("spec.hostNetwork", "true: Cilium policies do not select host-network pods, so egress-tls.io/intercept and egress-tls.io/mtls cannot apply; expected hostNetwork false, or only egress-tls.io/inject-ca"));
        }

        var resolutionWarnings = ImmutableArray.CreateBuilder<string>();
        NameResolution.Check(element, request, options, errors, resolutionWarnings);
        if (errors.Count > 0)
        {
            return new Rejected(errors.ToImmutable());
        }

        var warnings = effective.Warnings.ToBuilder();
        warnings.AddRange(request.Warnings);
        warnings.AddRange(resolutionWarnings);
        var objects = new List<GeneratedObject>();

        // The profile and the status value are those of the prepared intent when the Secrets left its parse as is.
        var intent = prepared?.Intent is { } prepIntent && ReferenceEquals(prepIntent.Request, request) ? prepIntent : null;
        var profile = intent is not null ? intent.Profile : ProfileBuilder.Build(ns.Name, request.Intercept, request.Mtls, request.OtherEgress);
        if (profile is not null)
        {
            var generation = generate(profile, options);
            if (!generation.Errors.IsDefaultOrEmpty)
            {
                return new Rejected(generation.Errors);
            }

            objects.AddRange(generation.Objects);
            warnings.AddRange(generation.Warnings);
        }

        if (profile is null && !request.InjectCa)
        {
            warnings.Add("nothing to inject: no egress-tls.io/intercept or egress-tls.io/mtls, and egress-tls.io/inject-ca is false");
            return new Mutated([], [], warnings.ToImmutable());
        }

        var builder = new PatchBuilder(element);
        var trustInjected = false;
        if (request.InjectCa)
        {
            var trust = TrustInjector.Inject(builder, options, request.CaSystemPaths);
            warnings.AddRange(trust.Warnings);
            trustInjected = trust.Injected;
            if (trustInjected)
            {
                objects.Insert(0, intent?.TrustBundle ?? TrustBundle(ns.Name, options));
            }
        }

        if (profile is null && !trustInjected)
        {
            return new Mutated([], [], warnings.ToImmutable());
        }

        if (profile is not null)
        {
            // Ours by its prefix: a stale value (a copied, already-mutated manifest) would put the pod
            // under another profile's policy, so it is corrected rather than kept.
            builder.SetOwnedMember(["metadata", "labels"], Naming.ProfileLabel, JsonValue.Create(profile.Id));
        }

        var status = intent?.Status(trustInjected) ?? TrustStatus.Value(profile, request with { InjectCa = trustInjected }, options);
        builder.SetOwnedMember(["metadata", "annotations"], TrustStatus.Key, JsonValue.Create(status));

        return new Mutated(builder.Operations, InApplyOrder(objects), warnings.ToImmutable());
    }

    // The objects by ApplyRank, keeping their order within a rank (an insertion sort: a handful of objects).
    private static ImmutableArray<GeneratedObject> InApplyOrder(List<GeneratedObject> objects)
    {
        var ranked = new (int Rank, GeneratedObject Object)[objects.Count];
        for (var i = 0; i < ranked.Length; i++)
        {
            var item = (objects[i].ApplyRank, objects[i]);
            var j = i;
            for (; j > 0 && ranked[j - 1].Rank > item.ApplyRank; j--)
            {
                ranked[j] = ranked[j - 1];
            }

            ranked[j] = item;
        }

        var ordered = ImmutableArray.CreateBuilder<GeneratedObject>(ranked.Length);
        foreach (var (_, item) in ranked)
        {
            ordered.Add(item);
        }

        return ordered.MoveToImmutable();
    }

    /// <summary>The namespace trust bundle ConfigMap (data filled by the shell), as admission and the
    /// reconciler both generate it.</summary>
    public static GeneratedObject TrustBundle(string namespaceName, RenderOptions options) => new(
        new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject
            {
                ["name"] = options.TrustBundleName,
                ["namespace"] = namespaceName,
                ["labels"] = new JsonObject { [Naming.ManagedByLabel] = Naming.ManagedByValue },
            },
        },
        new TrustBundleContent());

    /// <summary>The skip for an excluded namespace (kube-system, the webhook's own, configured ones), or <c>null</c>.</summary>
    internal static Skipped? Excluded(NamespaceInfo ns, RenderOptions options) =>
        ns.Name == "kube-system" || ns.Name == options.WebhookNamespace || options.ExcludedNamespaces.Contains(ns.Name)
            ? new Skipped(SkipReasons.NamespaceExcluded, $"namespace {ValueQuote.Quote(ns.Name)} is excluded from egress-tls")
            : null;

    /// <summary>
    /// The skip for an object (<paramref name="noun"/>: pod, Provider) that is not opted in, or <c>null</c>:
    /// the object's label <c>egress-tls.io/enabled=false</c> opts out; <c>true</c> on it or its namespace opts in.
    /// </summary>
    internal static Skipped? NotOptedIn(JsonObject obj, NamespaceInfo ns, string noun)
    {
        StringMap(obj, "labels").TryGetValue(Naming.EnabledLabel, out var enabled);
        return NotOptedIn(enabled, ns, noun);
    }

    // The same for the value of the object's egress-tls.io/enabled label (null: none, or not a string).
    private static Skipped? NotOptedIn(string? enabled, NamespaceInfo ns, string noun)
    {
        if (enabled == "false")
        {
            return new Skipped(SkipReasons.OptedOut, $"the {noun} has the label {Naming.EnabledLabel}=false");
        }

        return enabled != "true" && !(ns.Labels.TryGetValue(Naming.EnabledLabel, out var nsEnabled) && nsEnabled == "true")
            ? new Skipped(SkipReasons.NotOptedIn, $"neither the {noun} nor namespace {ValueQuote.Quote(ns.Name)} has the label {Naming.EnabledLabel}=true")
            : null;
    }

    /// <summary>The <c>egress-tls.io/</c> annotations with string values, sorted by name (all that
    /// <see cref="EffectiveAnnotations.Resolve"/> reads of a pod's annotations).</summary>
    internal static ImmutableArray<KeyValuePair<string, string>> OwnAnnotations(JsonObject obj) =>
        [.. StringMap(obj, "annotations").Where(a => a.Key.StartsWith(Naming.Prefix, StringComparison.Ordinal)).OrderBy(a => a.Key, StringComparer.Ordinal)];

    /// <summary>The same read from the object as parsed JSON, making strings of those annotations only.</summary>
    internal static ImmutableArray<KeyValuePair<string, string>> OwnAnnotations(JsonElement obj)
    {
        if (Member(Member(obj, "metadata"u8, JsonValueKind.Object), "annotations"u8, JsonValueKind.Object) is not { } annotations)
        {
            return [];
        }

        var own = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var member in annotations.EnumerateObject())
        {
            if (member.Value.ValueKind == JsonValueKind.String && Naming.IsOwn(member))
            {
                own.Add(KeyValuePair.Create(member.Name, member.Value.GetString()!));
            }
        }

        own.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return own.DrainToImmutable();
    }

    /// <summary>The string members of <c>metadata.&lt;field&gt;</c> (labels, annotations); other values are ignored.</summary>
    internal static Dictionary<string, string> StringMap(JsonObject obj, string field)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["metadata"] is JsonObject metadata && metadata[field] is JsonObject map)
        {
            foreach (var (key, value) in map)
            {
                if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    result[key] = (string)v!;
                }
            }
        }

        return result;
    }

    private static string? TopString(JsonElement obj, ReadOnlySpan<byte> field) => Member(obj, field, JsonValueKind.String)?.GetString();

    private static readonly byte[] EnabledLabelUtf8 = System.Text.Encoding.UTF8.GetBytes(Naming.EnabledLabel);

    // metadata.labels[egress-tls.io/enabled] when a string (as StringMap reads labels).
    private static string? EnabledLabel(JsonElement obj) =>
        Member(Member(Member(obj, "metadata"u8, JsonValueKind.Object), "labels"u8, JsonValueKind.Object), EnabledLabelUtf8, JsonValueKind.String)?.GetString();
}
