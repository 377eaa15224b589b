using EgressTls.Core.Annotations;

namespace EgressTls.Core.Tests.Annotations;

public class HttpRulesParserMemoryTests
{
    [Theory]
    [InlineData("[{\"method\":\"POST\",\"path\":\"/v1/.*\"}]")]
    [InlineData("[{method: GET, headers: ['X-Token: a']}]")]
    [InlineData("[{\"path\": \"(a)\\\\1\"}]")]
    [InlineData("{method: GET}")]
    public void A_remembered_value_parses_to_what_it_parsed_to_the_first_time(string value)
    {
        var first = HttpRulesParser.Parse(value);
        var second = HttpRulesParser.Parse(value);

        second.Problems.Should().Equal(first.Problems);
        second.Rules.Select(r => (r.Method, r.Path, r.Host, string.Join('|', r.Headers)))
            .Should().Equal(first.Rules.Select(r => (r.Method, r.Path, r.Host, string.Join('|', r.Headers))));
    }
}
