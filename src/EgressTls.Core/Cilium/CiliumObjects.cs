using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Cilium;

/// <summary>Turns an <see cref="EgressProfile"/> into the exact Cilium/Envoy objects for the target Cilium.</summary>
public static class CiliumObjects
{
    /// <summary>Deterministic: the same profile and options always give byte-identical objects.</summary>
    public static CiliumGeneration Generate(EgressProfile profile, RenderOptions options) =>
        throw new NotImplementedException("Cilium generator: not yet implemented");
}
