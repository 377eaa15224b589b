using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EgressTls.Core.Rendering;

/// <summary>
/// Everything the core needs to decide about one object, gathered by the shell beforehand
/// (the webhook from the AdmissionReview and the API, <c>render</c> from its input file).
/// </summary>
/// <param name="Object">The Pod or Flux Provider, as the API server sent it.</param>
/// <param name="Operation">CREATE or UPDATE.</param>
/// <param name="Namespace">The object's namespace (labels and annotations).</param>
/// <param name="Secrets">The Secrets of that namespace that the object's annotations reference and
/// that exist, by name. A referenced name that is absent here is a missing Secret.</param>
/// <param name="OldObject">For UPDATE, the object before the change.</param>
/// <param name="SecretsComplete">True when <paramref name="Secrets"/> is authoritative (the webhook read the
/// cluster): an absent Secret is an error. False for offline use (<c>render</c> without the Secret in its
/// input, standalone <c>serve</c>): an absent Secret is assumed to exist with the expected type.</param>
public sealed record RenderInput(
    JsonObject Object,
    AdmissionOperation Operation,
    NamespaceInfo Namespace,
    ImmutableDictionary<string, SecretSummary> Secrets,
    JsonObject? OldObject = null,
    bool SecretsComplete = true)
{
    private (JsonObject Node, JsonElement Element)? source;

    /// <summary>
    /// <see cref="Object"/> as the parsed JSON it was made from (<c>JsonObject.Create(element)</c>), when the
    /// shell has it (admission): Render reads long lists of the pod (every container's env) from it without
    /// materialising a node per entry. Optional; the result is the same without it. Tied to the
    /// <see cref="Object"/> it was given with: a copy with another object (<c>with { Object = ... }</c>) has none.
    /// </summary>
    public JsonElement? ObjectElement
    {
        get => source is { } s && ReferenceEquals(s.Node, Object) ? s.Element : null;
        init => source = value is { } element ? (Object, element) : null;
    }
}
