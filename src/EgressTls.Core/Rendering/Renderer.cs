using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace EgressTls.Core.Rendering;

/// <summary>
/// The one pure entry point shared by the webhook and <c>render</c>: an object and its context in, a
/// decision out (skip, reject with every error, or mutate with a patch and the objects it needs).
/// </summary>
public static class Renderer
{
    /// <summary>Decides what egress-tls does with <paramref name="input"/>. Total: never throws for user input.</summary>
    public static RenderResult Render(RenderInput input, RenderOptions options) =>
        throw new NotImplementedException("admission core: not yet implemented");

    /// <summary>
    /// The names of the Secrets in the object's namespace that its effective annotations reference, so the
    /// shell can fetch exactly those before calling <see cref="Render"/> once. Invalid annotations yield no
    /// names (Render reports them).
    /// </summary>
    public static ImmutableSortedSet<string> ReferencedSecretNames(JsonObject obj, NamespaceInfo ns, RenderOptions options) =>
        throw new NotImplementedException("admission core: not yet implemented");
}
