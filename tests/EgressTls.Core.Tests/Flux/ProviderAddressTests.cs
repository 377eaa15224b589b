using EgressTls.Core.Flux;
using EgressTls.Core.Model;

namespace EgressTls.Core.Tests.Flux;

public class ProviderAddressTests
{
    [Theory]
    [InlineData("https://172.18.0.4:8083", "http://172.18.0.4:8083", "172.18.0.4", 8083)]
    [InlineData("https://hooks.example.com", "http://hooks.example.com:443", "hooks.example.com", 443)]
    [InlineData("https://hooks.example.com/", "http://hooks.example.com:443/", "hooks.example.com", 443)]
    [InlineData("https://hooks.example.com?x=1", "http://hooks.example.com:443?x=1", "hooks.example.com", 443)]
    [InlineData("https://Hooks.Example.com./a/b?q=%2F&r=1#frag", "http://Hooks.Example.com.:443/a/b?q=%2F&r=1#frag", "hooks.example.com", 443)]
    [InlineData("HTTPS://hooks.example.com:8443/x", "http://hooks.example.com:8443/x", "hooks.example.com", 8443)]
    [InlineData("https://[2001:DB8::20]/flux", "http://[2001:DB8::20]:443/flux", "2001:db8::20", 443)]
    [InlineData("https://[2001:db8::20]:9443", "http://[2001:db8::20]:9443", "2001:db8::20", 9443)]
    [InlineData("https://user:p%40ss@hooks.example.com/x", "http://user:p%40ss@hooks.example.com:443/x", "hooks.example.com", 443)]
    public void An_https_address_becomes_http_with_an_explicit_port_keeping_path_query_and_host_as_written(string address, string plain, string host, int port)
    {
        var parsed = ProviderAddress.Parse(address, out var problem);

        problem.Should().BeNull();
        parsed!.IsHttps.Should().BeTrue();
        parsed.PlainHttp.Should().Be(plain);
        parsed.Destination.Should().Be(new HostPort(host, port));
        ProviderAddress.Parse(plain, out _)!.PlainHttp.Should().Be(plain, "rewriting the rewrite changes nothing");
    }

    [Fact]
    public void An_http_address_without_a_port_means_port_80()
    {
        ProviderAddress.Parse("http://hooks.example.com/x", out _)!.Destination.Should().Be(new HostPort("hooks.example.com", 80));
    }

    [Theory]
    [InlineData("hooks.example.com/x", "is not an http:// or https:// URL")]
    [InlineData("ftp://hooks.example.com", "is not an http:// or https:// URL")]
    [InlineData("https://", "has no host[:port]")]
    [InlineData("https://hooks.example.com:0/x", "invalid port")]
    [InlineData("https://hooks.example.com:99999", "invalid port")]
    [InlineData("https://2001:db8::1/x", "IPv6 in brackets")]
    [InlineData("https://[10.0.0.1]/x", "not an IPv6 address")]
    [InlineData("https://[::ffff:172.18.0.4]:8083/x", "IPv4-mapped IPv6 address: the connection goes over IPv4 to 172.18.0.4")]
    [InlineData("https://hooks_example.com/x", "is not a DNS name")]
    [InlineData("https://*.example.com/x", "is not a DNS name")]
    [InlineData("https://hooks.example.com/a b", "whitespace")]
    public void Addresses_egress_tls_cannot_redirect_are_refused_with_the_reason(string address, string reason)
    {
        ProviderAddress.Parse(address, out var problem).Should().BeNull();
        problem.Should().Contain(reason);
    }
}
