using EgressTls.Core.Annotations;
using EgressTls.Core.Model;

namespace EgressTls.Core.Tests.Annotations;

public class MtlsParserTests
{
    [Fact]
    public void Several_destinations_separated_by_semicolons_and_newlines_are_sorted_with_defaults()
    {
        var (destinations, problems) = MtlsParser.Parse(
            "10.0.0.5:8443 cert=client ca=server-ca;\n[2001:DB8::1]:443 cert=client verify=false\n Backend.Example.com.:9443  cert=other sni=api.internal ;");

        problems.Should().BeEmpty();
        destinations.Should().Equal(
            new MtlsDestination(new HostPort("10.0.0.5", 8443), "client", "server-ca", null, true),
            new MtlsDestination(new HostPort("2001:db8::1", 443), "client", null, null, false),
            new MtlsDestination(new HostPort("backend.example.com", 9443), "other", null, "api.internal", true));
    }

    [Fact]
    public void The_sni_defaults_to_the_host_for_DNS_destinations()
    {
        MtlsParser.Parse("api.example.com:443 cert=c").Destinations.Single().Sni.Should().Be("api.example.com");
    }

    [Theory]
    [InlineData("api.example.com cert=c", "without a port")]
    [InlineData("api.example.com:443", "has no cert=<secret>")]
    [InlineData("cert=c", "does not start with <host>:<port>")]
    [InlineData("api.example.com:443 cert=ns/c", "a pod or Provider may only use Secrets of its own namespace")]
    [InlineData("api.example.com:443 cert=c ca=other/ca", "a pod or Provider may only use Secrets of its own namespace")]
    [InlineData("api.example.com:443 cert=c cert=d", "sets cert= twice")]
    [InlineData("api.example.com:443 cert=c verify=no", "verify=\"no\" (true or false)")]
    [InlineData("api.example.com:443 cert=c ca=x verify=false", "both ca= and verify=false")]
    [InlineData("api.example.com:443 cert=c client=x", "unknown option \"client\"")]
    [InlineData("api.example.com:443 cert=C_Bad", "is not a Secret name")]
    [InlineData("*.example.com:443 cert=c", "wildcard")]
    [InlineData("2001:db8::1:443 cert=c", "IPv6 in brackets")]
    [InlineData("[10.0.0.1]:443 cert=c", "not an IPv6 address")]
    [InlineData("[::ffff:10.0.0.1]:443 cert=c", "IPv4-mapped IPv6 address: the connection goes over IPv4 to 10.0.0.1")]
    [InlineData("[::FFFF:a00:1]:443 cert=c", "write the IPv4 address 10.0.0.1")]
    [InlineData("api.example.com:99999 cert=c", "invalid port")]
    [InlineData("api.example.com:443 cert=c sni=*.example.com", "sni=")]
    [InlineData("a.example.com:443 cert=c; a.example.com:443 cert=d", "repeats the destination a.example.com:443")]
    public void Mistakes_name_the_entry_and_the_expected_form(string value, string expected)
    {
        var (destinations, problems) = MtlsParser.Parse(value);

        destinations.Should().BeEmpty();
        problems.Should().Contain(p => p.Contains(expected, StringComparison.Ordinal));
        problems.Should().OnlyContain(p => p.StartsWith("entry \"", StringComparison.Ordinal) && p.Contains("; expected entries separated by ';' or newlines", StringComparison.Ordinal));
    }
}
