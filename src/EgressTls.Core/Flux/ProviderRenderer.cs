using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Annotations;
using EgressTls.Core.Cilium;
using EgressTls.Core.Model;
using EgressTls.Core.Patching;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Flux;

/// <summary>
/// Renders a Flux notification-controller Provider annotated with <c>egress-tls.io/mtls</c> (the
/// motivating case of seed 001): the controller is given <c>http://host:port/path</c> instead of the
/// <c>https://</c> address, and the notification-controller pods get the seed's redirect to an Envoy
/// listener that originates TLS to <c>host:port</c> with the client certificate. The original address is
/// kept in <c>egress-tls.io/original-address</c>, which makes UPDATE idempotent and removal reversible.
/// </summary>
internal static class ProviderRenderer
{
    private static readonly string[] AddressPath = ["spec", "address"];
    private static readonly string[] AnnotationsPath = ["metadata", "annotations"];
    private static AnnotationKey Mtls => AnnotationRegistry.Mtls;
    private static AnnotationKey Original => AnnotationRegistry.OriginalAddress;

    public static RenderResult Render(
        RenderInput input, RenderOptions options, Func<EgressProfile, RenderOptions, CiliumGeneration> generate)
    {
        var provider = input.Object;
        if (input.Operation is not (AdmissionOperation.Create or AdmissionOperation.Update))
        {
            return new Skipped(SkipReasons.OperationNotHandled, $"egress-tls handles Flux Providers on CREATE and UPDATE, not on {input.Operation.ToString().ToUpperInvariant()}");
        }

        var ns = input.Namespace;
        if (Renderer.Excluded(ns, options) is { } excluded)
        {
            return excluded;
        }

        var annotations = Renderer.StringMap(provider, "annotations");
        var effective = EffectiveAnnotations.ForProvider(annotations);
        var notOptedIn = Renderer.NotOptedIn(provider, ns, "Provider");
        var original = annotations.GetValueOrDefault(Original.FullName);
        if (notOptedIn is not null || !effective.Values.TryGetValue(Mtls.FullName, out var mtlsValue))
        {
            if (original is not null)
            {
                return Restore(input, original, notOptedIn?.Detail ?? $"it has no {Mtls.FullName} annotation", effective.Warnings);
            }

            if (notOptedIn is not null)
            {
                return notOptedIn;
            }

            return effective.HasUnknownKeys
                ? new Mutated([], [], effective.Warnings)
                : new Skipped(SkipReasons.NoAnnotations, $"the Provider has no {Mtls.FullName} annotation");
        }

        var spec = ProviderSpec.Read(provider);
        var errors = ImmutableArray.CreateBuilder<FieldError>();
        var warnings = effective.Warnings.ToBuilder();

        var (mtls, problems) = MtlsParser.ParseOptions(mtlsValue.Value);
        errors.AddRange(problems.Select(p => new FieldError(Mtls.Field, p)));
        if (mtls is not null)
        {
            void AnnotationError(AnnotationKey key, string message) => errors.Add(new FieldError(key.Field, message));
            AnnotationParser.CheckSecret(new SecretCheck(Mtls, mtls.ClientCertSecret, "cert=", NeedsTls: true), AnnotationError, ns.Name, input.Secrets, input.SecretsComplete);
            if (mtls.ServerCaSecret is { } ca)
            {
                AnnotationParser.CheckSecret(new SecretCheck(Mtls, ca, "ca=", NeedsTls: false), AnnotationError, ns.Name, input.Secrets, input.SecretsComplete);
            }
        }

        if (spec.Name is null)
        {
            errors.Add(new FieldError("metadata.name", $"is absent (generateName); expected a fixed name: the Provider's generated objects are named and labelled ({Naming.ProviderLabel}) after it"));
        }

        ProviderChecks.Type(spec, errors);
        var target = ResolveAddress(spec, original, input.OldObject, errors);
        ProviderChecks.Proxy(spec, errors);
        ProviderChecks.SecretRef(spec, input, errors, warnings);
        var certSecretCa = ProviderChecks.CertSecretRef(spec, input, errors, warnings);
        if (errors.Count > 0)
        {
            return new Rejected(errors.ToImmutable());
        }

        var profile = Profile(spec, ns.Name, target!.Destination, mtls!, certSecretCa, options, warnings);
        var generation = generate(profile, options);
        if (!generation.Errors.IsDefaultOrEmpty)
        {
            return new Rejected(generation.Errors);
        }

        warnings.AddRange(generation.Warnings);
        warnings.AddRange(SharedPodsWarnings(spec, profile, ns.Name));
        warnings.AddRange(NamespaceInterceptWarnings(ns, target.Destination, options));

        var builder = Builder(input);
        if (spec.Address != target.PlainHttp)
        {
            builder.ReplaceString(AddressPath, spec.Address!, target.PlainHttp);
            warnings.Add($"spec.address {ValueQuote.Quote(spec.Address!)} is rewritten to {ValueQuote.Quote(target.PlainHttp)} (the controller speaks plain HTTP; Envoy speaks TLS to {target.Destination} with the client certificate); the original is kept in {Original.FullName}");
        }

        builder.SetOwnedMember(AnnotationsPath, Original.FullName, JsonValue.Create(target.Text));
        return new Mutated(builder.Operations, generation.Objects, warnings.ToImmutable());
    }

    /// <summary>
    /// The Secrets a Provider's render reads: the <c>cert=</c> and <c>ca=</c> Secrets, and the secretRef and
    /// certSecretRef Secrets (whose key names decide refusals and the server CA). None when the Provider has
    /// no <c>egress-tls.io/mtls</c> annotation.
    /// </summary>
    public static ImmutableSortedSet<string> ReferencedSecretNames(JsonObject provider)
    {
        if (!Renderer.StringMap(provider, "annotations").TryGetValue(Mtls.FullName, out var value))
        {
            return [];
        }

        var spec = ProviderSpec.Read(provider);
        var (mtls, _) = MtlsParser.ParseOptions(value);
        return ImmutableSortedSet.CreateRange(
            StringComparer.Ordinal,
            new[] { mtls?.ClientCertSecret, mtls?.ServerCaSecret, spec.SecretRef, spec.CertSecretRef }
                .OfType<string>()
                .Where(n => SecretNames.Check(n) is null));
    }

    /// <summary>
    /// Decides which https:// address the objects are for. An https:// spec.address is the target (new, or
    /// edited by the user: re-targets). An http:// one is accepted only as egress-tls's own rewrite of
    /// <c>original-address</c> (idempotent UPDATE), or when the user edited that annotation (re-targets, and
    /// spec.address is rewritten from it). Anything else is refused: an http:// address has no TLS to originate.
    /// </summary>
    private static ProviderAddress? ResolveAddress(ProviderSpec spec, string? original, JsonObject? oldObject, ImmutableArray<FieldError>.Builder errors)
    {
        if (string.IsNullOrEmpty(spec.Address))
        {
            errors.Add(new FieldError(ProviderSpec.AddressField, $"is empty; expected {ProviderAddress.Form}"));
            return null;
        }

        var address = ProviderAddress.Parse(spec.Address, out var problem);
        if (address is null)
        {
            errors.Add(new FieldError(ProviderSpec.AddressField, $"{ValueQuote.Quote(spec.Address)} {problem}; expected {ProviderAddress.Form}"));
            return null;
        }

        if (address.IsHttps)
        {
            return address;
        }

        if (original is null)
        {
            errors.Add(new FieldError(ProviderSpec.AddressField,
                $"{ValueQuote.Quote(spec.Address)} is an http:// address: the controller already sends plain HTTP and the server expects no TLS, so there is nothing for Envoy to originate a client certificate on; expected the server's https:// address (egress-tls gives the controller http://host:port and Envoy speaks TLS with the client certificate), or remove {Mtls.FullName}"));
            return null;
        }

        var recorded = ProviderAddress.Parse(original, out var originalProblem);
        if (recorded is not { IsHttps: true })
        {
            errors.Add(new FieldError(Original.Field,
                $"{ValueQuote.Quote(original)} {originalProblem ?? "is not an https:// address"}; expected {ProviderAddress.Form} (egress-tls writes this annotation; to change the address, write the https:// address in spec.address)"));
            return null;
        }

        var oldOriginal = oldObject is null ? null : Renderer.StringMap(oldObject, "annotations").GetValueOrDefault(Original.FullName);
        if (recorded.PlainHttp == spec.Address || (oldObject is not null && oldOriginal != original))
        {
            return recorded;
        }

        errors.Add(new FieldError(ProviderSpec.AddressField,
            $"{ValueQuote.Quote(spec.Address)} is not egress-tls's rewrite of {Original.FullName} {ValueQuote.Quote(original)} (that is {ValueQuote.Quote(recorded.PlainHttp)}); expected the server's https:// address in spec.address (egress-tls rewrites it again), or remove {Mtls.FullName}"));
        return null;
    }

    private static EgressProfile Profile(
        ProviderSpec spec, string namespaceName, HostPort destination, MtlsOptions mtls, string? certSecretCa, RenderOptions options, ImmutableArray<string>.Builder warnings)
    {
        var serverCa = mtls.ServerCaSecret;
        if (certSecretCa is not null)
        {
            if (!mtls.VerifyServer)
            {
                warnings.Add($"{Mtls.FullName}: verify=false, so the ca.crt of spec.certSecretRef Secret {ValueQuote.Quote(certSecretCa)} is not used and the server is NOT verified");
            }
            else if (serverCa is not null)
            {
                warnings.Add($"{Mtls.FullName}: ca={serverCa} verifies the server; the ca.crt of spec.certSecretRef Secret {ValueQuote.Quote(certSecretCa)} is not used");
            }
            else
            {
                serverCa = certSecretCa;
            }
        }

        var name = spec.Name!;
        return new EgressProfile(
            namespaceName,
            null,
            [mtls.For(destination) with { ServerCaSecret = serverCa }],
            // The policy selects Flux's controller: its other egress (API server, DNS, source-controller
            // artifacts, event port 9090) must stay as it is (peers.md A7.6).
            OtherEgress.Allow,
            options.FluxNotificationControllerSelector,
            FluxProvider.ProfileId(name))
        {
            Owner = new ProfileOwner(spec.ApiVersion, FluxProvider.Kind, name, spec.Uid, Naming.ProviderLabel, Naming.LabelValue(name)),
        };
    }

    private static IEnumerable<string> SharedPodsWarnings(ProviderSpec spec, EgressProfile profile, string namespaceName)
    {
        var selector = string.Join(",", profile.PodSelector.Select(kv => $"{kv.Key}={kv.Value}"));
        var destination = profile.Mtls[0].Destination;
        yield return $"the policy selects every pod labelled {selector} in namespace {ValueQuote.Quote(namespaceName)}, which every Provider annotated with {Mtls.FullName} there also selects: Providers (or annotated pods) sending to {destination} must use the same settings, since Cilium does not define which of two listeners for one destination receives the traffic";
        if (namespaceName != FluxProvider.DefaultControllerNamespace)
        {
            yield return $"the Provider is in namespace {ValueQuote.Quote(namespaceName)}, but Flux installs notification-controller in {FluxProvider.DefaultControllerNamespace}: a CiliumNetworkPolicy selects pods of its own namespace only, so nothing is redirected unless notification-controller runs in {ValueQuote.Quote(namespaceName)}";
        }

        if (spec.ApiVersion == FluxProvider.V1Beta2)
        {
            yield return $"{FluxProvider.V1Beta2} is deprecated and not served from Flux 2.9 (notification-controller 1.9.0); migrate the manifest to {FluxProvider.V1Beta3} (the fields egress-tls uses are the same)";
        }
    }

    /// <summary>
    /// The namespace's pods (the controller's among them) take its <c>egress-tls.io/intercept</c> default, or the
    /// installation's intercept groups for it. Interception on the Provider's port conflicts with its listener
    /// redirect for the same pods: before 1.18 Cilium keeps one proxy type per port of a pod, so the pods'
    /// policy fails to apply; on 1.18 interception of the Provider's host takes precedence over the listener
    /// (PR #37887), and the controller's plain HTTP reaches the TLS interception.
    /// </summary>
    private static IEnumerable<string> NamespaceInterceptWarnings(NamespaceInfo ns, HostPort destination, RenderOptions options)
    {
        // Pods take the namespace's defaults when egress-tls acts on them, i.e. when the namespace opts them in
        // (a Provider may be opted in by its own label, which says nothing about the controller pods).
        if (!(ns.Labels.TryGetValue(Naming.EnabledLabel, out var enabled) && enabled == "true"))
        {
            yield break;
        }

        var defaults = EffectiveAnnotations.Resolve(ImmutableSortedDictionary<string, string>.Empty, ns, options);
        if (!defaults.Values.TryGetValue(AnnotationRegistry.Intercept.FullName, out var intercept))
        {
            yield break;
        }

        var mixed = options.Cilium.AllowsMixedParsersOnPort;
        var clashing = InterceptParser.Parse(intercept.Value).Hosts
            .Where(h => h.Port == destination.Port && (!mixed || CiliumConflicts.Covers(h.Host, destination.Host)))
            .Select(h => h.ToString()).ToList();
        if (clashing.Count > 0)
        {
            var from = intercept.Origin == AnnotationOrigin.Namespace ? $"the {AnnotationRegistry.Intercept.FullName} annotation of namespace {ValueQuote.Quote(ns.Name)}" : $"the intercept groups {intercept.OriginName}";
            var effect = mixed
                ? $"interception of that host takes precedence over the listener (Cilium 1.18), so the controller's plain HTTP to {destination} would reach the TLS interception"
                : $"Cilium {options.Cilium.Version} cannot redirect one port of a pod both to the interception and to this listener, so the controller pods' policy would fail to apply";
            yield return $"the notification-controller pods take {from} unless they override it, which intercepts {string.Join(", ", clashing)}: {effect}; give the controller pods egress-tls.io/intercept: \"\" (or hosts off port {destination.Port}), or opt them out with the label {Naming.EnabledLabel}=false";
        }
    }

    /// <summary>
    /// egress-tls no longer manages the Provider (annotation removed, opted out): give back the address it
    /// rewrote and drop its annotation. The render has no objects, so the reconciler deletes the Provider's
    /// (label <c>egress-tls.io/provider</c>); without the restore the controller would keep sending plain
    /// HTTP to a TLS port.
    /// </summary>
    // The patch over the Provider as parsed JSON (the review's, when the admission path has it).
    private static PatchBuilder Builder(RenderInput input) =>
        input.ObjectElement is { } element ? new PatchBuilder(element) : new PatchBuilder(input.Object);

    private static Mutated Restore(RenderInput input, string original, string why, ImmutableArray<string> warnings)
    {
        var spec = ProviderSpec.Read(input.Object);
        var builder = Builder(input);
        var recorded = ProviderAddress.Parse(original, out _);
        var result = warnings.ToBuilder();
        if (recorded is { IsHttps: true } && spec.Address == recorded.PlainHttp)
        {
            builder.ReplaceString(AddressPath, spec.Address, original);
            result.Add($"egress-tls no longer manages this Provider ({why}): spec.address is restored to {ValueQuote.Quote(original)}");
        }

        builder.RemoveOwnedMember(AnnotationsPath, Original.FullName);
        result.Add($"the objects generated for this Provider (label {Naming.ProviderLabel}={Naming.LabelValue(spec.Name ?? string.Empty)}) are deleted by the egress-tls reconciler");
        return new Mutated(builder.Operations, [], result.ToImmutable());
    }
}
