using System.Collections.Immutable;
using EgressTls.Core.Annotations;
using EgressTls.Core.Model;

namespace EgressTls.Core.Rendering;

/// <summary>
/// What a pod's egress-tls annotations decide in a namespace under some render options, before its Secrets
/// are read: the effective annotations, their parse without Secrets (absent ones assumed fit), and, made on
/// first use, the profile that parse gives and the value of the status annotation. Immutable once made
/// (the lazily made parts are pure functions of the rest), so pods with the same annotations share one
/// (<see cref="PodIntentCache"/>).
/// </summary>
internal sealed class PodIntent
{
    private readonly string namespaceName;
    private readonly RenderOptions options;
    private ProfileBox? profile;
    private GeneratedObject? trustBundle;
    private string? statusInjected;
    private string? statusNotInjected;

    public PodIntent(EffectiveAnnotations effective, EgressRequest request, string namespaceName, RenderOptions options)
    {
        Effective = effective;
        Request = request;
        this.namespaceName = namespaceName;
        this.options = options;
    }

    /// <summary>The effective annotations (<see cref="EffectiveAnnotations.Resolve"/>).</summary>
    public EffectiveAnnotations Effective { get; }

    /// <summary>Their parse without Secrets.</summary>
    public EgressRequest Request { get; }

    /// <summary>The Secrets Render checks (<see cref="EgressRequest.SecretNames"/>).</summary>
    public ImmutableSortedSet<string> SecretNames => Request.SecretNames;

    /// <summary><see cref="ProfileBuilder.Build"/> of <see cref="Request"/> in the namespace.</summary>
    public EgressProfile? Profile =>
        (profile ??= new ProfileBox(ProfileBuilder.Build(namespaceName, Request.Intercept, Request.Mtls, Request.OtherEgress))).Value;

    /// <summary><see cref="TrustStatus.Value"/> of <see cref="Profile"/> and <see cref="Request"/> with
    /// <paramref name="trustInjected"/> as its inject-ca.</summary>
    public string Status(bool trustInjected) => trustInjected
        ? statusInjected ??= TrustStatus.Value(Profile, Request with { InjectCa = true }, options)
        : statusNotInjected ??= TrustStatus.Value(Profile, Request with { InjectCa = false }, options);

    /// <summary><see cref="Renderer.TrustBundle"/> of the namespace (shared: read-only, as generated objects are).</summary>
    public GeneratedObject TrustBundle => trustBundle ??= Renderer.TrustBundle(namespaceName, options);

    // Tells "not made yet" from "made, and there is no profile".
    private sealed record ProfileBox(EgressProfile? Value);
}
