using EgressTls.Core.Annotations;
using EgressTls.Core.Model;

namespace EgressTls.Core.Tests.Annotations;

public class InterceptParserTests
{
    [Fact]
    public void Hosts_are_normalised_sorted_and_deduplicated_with_port_443_by_default()
    {
        var (hosts, problems) = InterceptParser.Parse(" GitHub.com., *.GitHub.com ,api.example.com:8443,github.com:443,, ");

        problems.Should().BeEmpty();
        hosts.Should().Equal(new HostPort("*.github.com", 443), new HostPort("api.example.com", 8443), new HostPort("github.com", 443));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("*.com")]
    [InlineData("*.*.com")]
    [InlineData("a.*.b.com")]
    [InlineData("git hub.com")]
    [InlineData("-a.example.com")]
    [InlineData("a-.example.com")]
    [InlineData("example.com:0")]
    [InlineData("example.com:65536")]
    [InlineData("example.com:+443")]
    [InlineData("10.1.2.3")]
    [InlineData("[2001:db8::1]:443")]
    [InlineData("a..example.com")]
    [InlineData("example.123")]
    [InlineData("\u212Aube.io")]
    [InlineData("*.\u212Aube.io")]
    [InlineData("b\u00FCcher.example")]
    public void Each_invalid_entry_is_one_problem_quoting_it_and_stating_the_expected_form(string entry)
    {
        var (hosts, problems) = InterceptParser.Parse($"ok.example.com, {entry}");

        hosts.Should().Equal(new HostPort("ok.example.com", 443));
        problems.Should().ContainSingle().Which.Should()
            .StartWith(ValueQuote.Quote(entry)).And.Contain("; expected a comma-separated list of host[:port]");
    }

    [Fact]
    public void Length_limits_follow_RFC_1123()
    {
        var label63 = new string('a', 63);
        var label64 = new string('a', 64);
        var name253 = string.Join('.', Enumerable.Repeat(label63, 3)) + "." + new string('b', 61);
        var name254 = name253 + "b";

        InterceptParser.Parse($"{label63}.example.com").Problems.Should().BeEmpty();
        InterceptParser.Parse(name253).Problems.Should().BeEmpty();
        InterceptParser.Parse($"{label64}.example.com").Problems.Should().ContainSingle().Which.Should().Contain("longer than 63");
        InterceptParser.Parse(name254).Problems.Should().ContainSingle().Which.Should().Contain("longer than 253");
    }

    [Fact]
    public void Every_mistake_is_reported_not_only_the_first()
    {
        InterceptParser.Parse("*, *.com, bad_host, x.com:0").Problems.Should().HaveCount(4);
    }
}
