using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Annotations;

namespace EgressTls.Core.Rendering;

/// <summary>
/// What <see cref="Renderer.Prepare(JsonObject, NamespaceInfo, RenderOptions)"/> found for one object before
/// its Secrets are read: the Secret names to read, and (for a pod) what its annotations decide
/// (<see cref="PodIntent"/>: effective annotations, their parse, the profile and status made from them), which
/// Render reuses for the same object, namespace and options instead of doing the work again.
/// </summary>
public sealed class RenderPreparation
{
    private readonly JsonObject obj;
    private readonly NamespaceInfo ns;
    private readonly RenderOptions options;

    internal RenderPreparation(JsonObject obj, NamespaceInfo ns, RenderOptions options, ImmutableSortedSet<string> secretNames, PodIntent? intent)
    {
        this.obj = obj;
        this.ns = ns;
        this.options = options;
        SecretNames = secretNames;
        Intent = intent;
    }

    /// <summary>The Secrets of the object's namespace that Render checks, sorted (<see cref="Renderer.ReferencedSecretNames"/>).</summary>
    public ImmutableSortedSet<string> SecretNames { get; }

    /// <summary>What the pod's annotations decide (possibly shared with other pods); <c>null</c> for a Flux Provider.</summary>
    internal PodIntent? Intent { get; }

    /// <summary>The pod's effective annotations; <c>null</c> for a Flux Provider.</summary>
    internal EffectiveAnnotations? Effective => Intent?.Effective;

    /// <summary>Their parse without Secrets (absent ones assumed fit); <c>null</c> for a Flux Provider.</summary>
    internal EgressRequest? Request => Intent?.Request;

    /// <summary>Whether this was prepared for these very instances (the object is mutable, so identity, not equality).</summary>
    internal bool IsFor(JsonObject candidate, NamespaceInfo candidateNamespace, RenderOptions candidateOptions) =>
        ReferenceEquals(obj, candidate) && ReferenceEquals(ns, candidateNamespace) && ReferenceEquals(options, candidateOptions);
}
