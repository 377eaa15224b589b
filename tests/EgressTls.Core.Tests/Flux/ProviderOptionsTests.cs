using EgressTls.Core.Annotations;
using EgressTls.Core.Model;

namespace EgressTls.Core.Tests.Flux;

/// <summary>The Provider form of egress-tls.io/mtls shares the pod entries' option parser.</summary>
public class ProviderOptionsTests
{
    [Fact]
    public void Options_parse_like_a_pod_entry_without_its_destination()
    {
        var (options, problems) = MtlsParser.ParseOptions(" cert=client  ca=server-ca sni=API.Internal.example.\n");

        problems.Should().BeEmpty();
        options.Should().Be(new MtlsOptions("client", "server-ca", "api.internal.example", true));
        var pod = MtlsParser.Parse("hooks.example.com:443 cert=client ca=server-ca sni=API.Internal.example.").Destinations.Single();
        options!.For(new HostPort("hooks.example.com", 443)).Should().Be(pod);
    }

    [Fact]
    public void The_sni_defaults_to_a_DNS_host_and_is_absent_for_an_IP()
    {
        var (options, _) = MtlsParser.ParseOptions("cert=c");

        options!.For(new HostPort("hooks.example.com", 443)).Sni.Should().Be("hooks.example.com");
        options.For(new HostPort("172.18.0.4", 8083)).Sni.Should().BeNull();
    }

    [Theory]
    [InlineData("ca=x", "has no cert=<secret>")]
    [InlineData("hooks.example.com:443 cert=c", "a Provider's destination is its spec.address")]
    [InlineData("cert=c; cert=d", "has several entries")]
    [InlineData("cert=c verify=false ca=x", "both ca= and verify=false")]
    [InlineData("cert=other/c", "names another namespace")]
    [InlineData("cert=c cert=d", "sets cert= twice")]
    [InlineData("cert=c key=k", "unknown option \"key\"")]
    public void Mistakes_quote_the_value_and_state_the_Provider_form(string value, string expected)
    {
        var (options, problems) = MtlsParser.ParseOptions(value);

        options.Should().BeNull();
        problems.Should().Contain(p => p.Contains(expected, StringComparison.Ordinal));
        problems.Should().OnlyContain(p => p.EndsWith("; expected " + AnnotationRegistry.MtlsProviderForm, StringComparison.Ordinal));
    }
}
