using EgressTls.Core.Cilium;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Tests.Support;

/// <summary>
/// The Cilium generator used by golden cases: the real one once it exists in this build; until then a
/// generator that produces nothing, so admission behaviour can be pinned independently.
/// </summary>
internal static class TestCilium
{
    private static readonly bool Available = Probe();

    public static CiliumGeneration Generate(EgressProfile profile, RenderOptions options) =>
        Available ? CiliumObjects.Generate(profile, options) : new CiliumGeneration([], [], []);

    private static bool Probe()
    {
        try
        {
            var profile = ProfileBuilder.Build("probe", new InterceptSpec([new HostPort("example.com", 443)], null, null), [], OtherEgress.Allow)!;
            _ = CiliumObjects.Generate(profile, new RenderOptions());
            return true;
        }
        catch (NotImplementedException)
        {
            return false;
        }
    }
}
