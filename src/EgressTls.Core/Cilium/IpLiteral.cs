using System.Net;
using System.Net.Sockets;

namespace EgressTls.Core.Cilium;

/// <summary>Strict IP literal handling for destinations (no shorthand forms such as <c>10.1</c>).</summary>
internal static class IpLiteral
{
    /// <summary>The address when <paramref name="host"/> is a dotted-quad IPv4 or an IPv6 literal.</summary>
    public static IPAddress? Parse(string host)
    {
        if (!IPAddress.TryParse(host, out var address))
        {
            return null;
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork when host.Count(c => c == '.') == 3 => address,
            AddressFamily.InterNetworkV6 when host.Contains(':', StringComparison.Ordinal) => address,
            _ => null,
        };
    }

    /// <summary>The single-address CIDR for <c>toCIDR</c>: <c>/32</c> for IPv4, <c>/128</c> for IPv6.</summary>
    public static string HostCidr(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"{address}/128" : $"{address}/32";
}
