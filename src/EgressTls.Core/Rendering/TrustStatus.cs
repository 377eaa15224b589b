using System.Text.Json.Nodes;
using EgressTls.Core.Annotations;
using EgressTls.Core.Model;

namespace EgressTls.Core.Rendering;

/// <summary>
/// The <c>egress-tls.io/status</c> annotation: compact JSON (as Istio's <c>sidecar.istio.io/status</c>)
/// recording what was injected, e.g.
/// <c>{"version":1,"profile":"3f9a01c2b4","trust":{"configMap":"egress-tls-trust-bundle","mountPath":"/etc/egress-tls/trust","systemPaths":false},"hash":"9c1d..."}</c>.
/// <c>hash</c> is <see cref="Naming.ShortHash"/> of the rest plus the profile's canonical content, so
/// any change of what was injected changes it.
/// </summary>
public static class TrustStatus
{
    /// <summary>The full annotation key.</summary>
    public static string Key => AnnotationRegistry.Status.FullName;

    /// <summary>Builds the annotation value.</summary>
    public static string Value(EgressProfile? profile, EgressRequest request, RenderOptions options)
    {
        var trust = request.InjectCa
            ? new JsonObject
            {
                ["configMap"] = options.TrustBundleName,
                ["mountPath"] = options.TrustMountPath,
                ["systemPaths"] = request.CaSystemPaths,
            }
            : null;
        var content = new JsonObject
        {
            ["version"] = 1,
            ["profile"] = profile?.Id,
            ["trust"] = trust,
        };
        var canonical = content.ToJsonString() + "\n" + ProfileBuilder.CanonicalUsing(profile, request.Intercept, request.Mtls, request.OtherEgress);
        content["hash"] = Naming.ShortHash(canonical);
        return content.ToJsonString();
    }
}
