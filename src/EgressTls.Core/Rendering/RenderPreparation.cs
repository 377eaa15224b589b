using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Annotations;

namespace EgressTls.Core.Rendering;

/// <summary>
/// What <see cref="Renderer.Prepare"/> found for one object before its Secrets are read: the Secret names
/// to read, and (for a pod) its effective annotations and their parse, which Render reuses for the same
/// object, namespace and options instead of doing the work twice.
/// </summary>
public sealed class RenderPreparation
{
    private readonly JsonObject obj;
    private readonly NamespaceInfo ns;
    private readonly RenderOptions options;

    internal RenderPreparation(
        JsonObject obj, NamespaceInfo ns, RenderOptions options, ImmutableSortedSet<string> secretNames,
        EffectiveAnnotations? effective, EgressRequest? request)
    {
        this.obj = obj;
        this.ns = ns;
        this.options = options;
        SecretNames = secretNames;
        Effective = effective;
        Request = request;
    }

    /// <summary>The Secrets of the object's namespace that Render checks, sorted (<see cref="Renderer.ReferencedSecretNames"/>).</summary>
    public ImmutableSortedSet<string> SecretNames { get; }

    /// <summary>The pod's effective annotations; <c>null</c> for a Flux Provider.</summary>
    internal EffectiveAnnotations? Effective { get; }

    /// <summary>Their parse without Secrets (absent ones assumed fit); <c>null</c> for a Flux Provider.</summary>
    internal EgressRequest? Request { get; }

    /// <summary>Whether this was prepared for these very instances (the object is mutable, so identity, not equality).</summary>
    internal bool IsFor(JsonObject candidate, NamespaceInfo candidateNamespace, RenderOptions candidateOptions) =>
        ReferenceEquals(obj, candidate) && ReferenceEquals(ns, candidateNamespace) && ReferenceEquals(options, candidateOptions);
}
