using System.Text.Json;
using System.Text.Json.Nodes;

namespace EgressTls.Core.Flux;

/// <summary>
/// The Flux notification-controller <c>Provider</c> kind as egress-tls handles it: which API
/// versions, and the names egress-tls derives from a Provider.
/// </summary>
public static class FluxProvider
{
    /// <summary>The API group.</summary>
    public const string Group = "notification.toolkit.fluxcd.io";

    /// <summary>The kind.</summary>
    public const string Kind = "Provider";

    /// <summary>The current and storage version (notification-controller 1.2+, Flux 2.2+; peers.md A1).</summary>
    public const string V1Beta3 = Group + "/v1beta3";

    /// <summary>The previous version: deprecated, and removed from the CRD in notification-controller 1.9.0
    /// (Flux 2.9; peers.md A1). Accepted for clusters on older Flux.</summary>
    public const string V1Beta2 = Group + "/v1beta2";

    /// <summary>The namespace Flux installs its controllers in (peers.md A5).</summary>
    public const string DefaultControllerNamespace = "flux-system";

    /// <summary>True for a <c>Provider</c> of <see cref="V1Beta3"/> or <see cref="V1Beta2"/>. v1beta1 (removed in
    /// Flux 2.7) and other groups' <c>Provider</c> kinds are not Flux Providers egress-tls handles.</summary>
    public static bool IsProvider(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return Text(obj["kind"]) == Kind && Text(obj["apiVersion"]) is V1Beta3 or V1Beta2;
    }

    /// <summary>The same for the object as parsed JSON.</summary>
    public static bool IsProvider(JsonElement obj) =>
        JsonMembers.Member(obj, "kind"u8, JsonValueKind.String) is { } kind && kind.ValueEquals(Kind)
        && JsonMembers.Member(obj, "apiVersion"u8, JsonValueKind.String) is { } apiVersion
        && (apiVersion.ValueEquals(V1Beta3) || apiVersion.ValueEquals(V1Beta2));

    /// <summary>
    /// The profile id of the Provider named <paramref name="name"/>: derived from the name, not from the
    /// content, so every Provider has its own policy and Envoy config (two Providers with equal settings do
    /// not share objects that deleting one of them would remove), and an edited address updates the same
    /// objects in place. Readable and at most 50 characters (<c>provider-&lt;name&gt;-&lt;hash&gt;</c>), so
    /// <c>egress-tls-&lt;id&gt;</c> stays a DNS label.
    /// </summary>
    public static string ProfileId(string name) => Naming.Compose(["provider", name], 50);

    /// <summary>The string at <paramref name="node"/>, or <c>null</c> when absent or not a string.</summary>
    internal static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? (string?)v : null;
}
