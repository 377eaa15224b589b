using EgressTls.Core.Annotations;
using EgressTls.Core.Model;

namespace EgressTls.Core.Tests.Annotations;

public class HttpRulesParserTests
{
    [Fact]
    public void JSON_and_YAML_flow_lists_give_the_same_rules_in_order()
    {
        var json = HttpRulesParser.Parse("""[{"method":"GET","path":"/repos/.*"},{"headers":["X-Token: a"],"host":"api\\.github\\.com"}]""");
        var yaml = HttpRulesParser.Parse("[{method: GET, path: /repos/.*}, {headers: ['X-Token: a'], host: 'api\\.github\\.com'}]");

        json.Problems.Should().BeEmpty();
        yaml.Problems.Should().BeEmpty();
        json.Rules.Should().HaveCount(2);
        json.Rules[0].Should().BeEquivalentTo(new HttpRule("GET", "/repos/.*", null, []));
        json.Rules[1].Headers.Should().Equal("X-Token: a");
        yaml.Rules.Select(r => (r.Method, r.Path, r.Host, string.Join('|', r.Headers)))
            .Should().Equal(json.Rules.Select(r => (r.Method, r.Path, r.Host, string.Join('|', r.Headers))));
    }

    [Theory]
    [InlineData("{method: GET}", "is not a list")]
    [InlineData("[]", "empty list")]
    [InlineData("[{\"methods\": \"GET\"}]", "unknown field \"methods\"")]
    [InlineData("[{\"path\": \"(\"}]", "is not a regular expression")]
    [InlineData("[{\"path\": \"(a)\\\\1\"}]", "is not a regular expression")]
    [InlineData("[{\"path\": \"(?<=a)b\"}]", "is not a regular expression")]
    [InlineData("[{\"method\": 5}]", "is not a string")]
    [InlineData("[{\"headers\": \"X\"}]", "not a list of non-empty strings")]
    [InlineData("[\"GET\"]", "is not an object")]
    [InlineData("[{", "is not valid JSON or YAML")]
    public void Invalid_rules_are_refused_with_the_expected_form(string value, string expected)
    {
        var (rules, problems) = HttpRulesParser.Parse(value);

        rules.Should().BeEmpty();
        problems.Should().ContainSingle().Which.Should().Contain(expected).And.Contain("; expected a JSON or YAML flow list of objects");
    }

    [Theory]
    [InlineData("nesting", "(40000 characters): mappings and sequences nest deeper than 256 levels (expected at most 256 levels of nesting)")]
    [InlineData("aliases", ": aliases expand to more than 100000 nodes")]
    public void A_value_past_a_YAML_limit_is_refused_naming_the_limit_and_the_expected_form(string limit, string expected)
    {
        var value = limit == "nesting"
            ? new string('[', 20_000) + new string(']', 20_000)
            : "[&a [{}, {}, {}, {}, {}, {}, {}, {}, {}, {}], " + string.Join(", ", Enumerable.Range(1, 7).Select(i => $"&a{i} [" + string.Join(", ", Enumerable.Repeat(i == 1 ? "*a" : $"*a{i - 1}", 10)) + "]")) + "]";

        var (rules, problems) = HttpRulesParser.Parse(value);

        rules.Should().BeEmpty();
        problems.Should().ContainSingle().Which.Should().Contain(expected).And.Contain("; expected a JSON or YAML flow list of objects");
    }
}
