using EgressTls.Core.Annotations;

namespace EgressTls.Core.Tests.Robustness;

/// <summary>
/// Octets with leading zeros (found by tests/fuzz.sh, seed 29826): "09" made IPAddress.Parse throw (a 500 at
/// admission) and "010" was read as octal 8, so the policy would have named another address than the user wrote.
/// </summary>
public class IPv4LiteralTests
{
    [Theory]
    [InlineData("10.0.09.1:443 cert=client")]
    [InlineData("10.0.010.1:443 cert=client")]
    [InlineData("010.0.0.1:443 cert=client")]
    [InlineData("10.0.0.00:443 cert=client")]
    public void Octets_with_leading_zeros_are_refused_not_thrown_or_read_as_octal(string entry)
    {
        var (destinations, problems) = MtlsParser.Parse(entry);

        destinations.Should().BeEmpty();
        problems.Should().ContainSingle();
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("10.0.100.0", "10.0.100.0")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    public void Decimal_quads_are_ipv4(string text, string normalized)
    {
        HostSyntax.IsIPv4(text, out var result).Should().BeTrue();
        result.Should().Be(normalized);
    }
}
