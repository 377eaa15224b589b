using System.Text.Json.Nodes;

namespace EgressTls.Core.Flux;

/// <summary>The fields of a Flux Provider egress-tls reads (peers.md A2), as the API server sent them.</summary>
/// <param name="ApiVersion">v1beta3 or v1beta2.</param>
/// <param name="Name">metadata.name, or <c>null</c> (generateName).</param>
/// <param name="Uid">metadata.uid, or <c>null</c> (CREATE: not assigned yet).</param>
/// <param name="Type">spec.type.</param>
/// <param name="Address">spec.address.</param>
/// <param name="SecretRef">spec.secretRef.name: token, headers, username/password, and possibly an
/// <c>address</c> that overrides spec.address or a legacy <c>proxy</c>.</param>
/// <param name="CertSecretRef">spec.certSecretRef.name: <c>ca.crt</c>, and on Flux 2.7+ <c>tls.crt</c>/<c>tls.key</c>.</param>
/// <param name="Proxy">spec.proxy (deprecated).</param>
/// <param name="ProxySecretRef">spec.proxySecretRef.name (notification-controller 1.7+).</param>
internal sealed record ProviderSpec(
    string ApiVersion,
    string? Name,
    string? Uid,
    string? Type,
    string? Address,
    string? SecretRef,
    string? CertSecretRef,
    string? Proxy,
    string? ProxySecretRef)
{
    public const string AddressField = "spec.address";

    public static ProviderSpec Read(JsonObject provider)
    {
        var metadata = provider["metadata"] as JsonObject;
        var spec = provider["spec"] as JsonObject;
        return new ProviderSpec(
            FluxProvider.Text(provider["apiVersion"]) ?? FluxProvider.V1Beta3,
            FluxProvider.Text(metadata?["name"]),
            FluxProvider.Text(metadata?["uid"]),
            FluxProvider.Text(spec?["type"]),
            FluxProvider.Text(spec?["address"]),
            Reference(spec, "secretRef"),
            Reference(spec, "certSecretRef"),
            NonEmpty(FluxProvider.Text(spec?["proxy"])),
            Reference(spec, "proxySecretRef"));
    }

    private static string? Reference(JsonObject? spec, string field) => NonEmpty(FluxProvider.Text((spec?[field] as JsonObject)?["name"]));

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
