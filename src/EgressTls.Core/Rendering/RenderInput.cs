using System.Collections.Immutable;
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
    bool SecretsComplete = true);
