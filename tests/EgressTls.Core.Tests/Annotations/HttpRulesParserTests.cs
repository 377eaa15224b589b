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
    [InlineData("X-Token")]
    [InlineData("X-Token: abc")]
    [InlineData("X-Token abc")]
    [InlineData("dada: dada")]
    [InlineData(":authority: api.github.com")]
    [InlineData("X-Trace: a b c")]
    public void Headers_in_the_forms_Cilium_reads_are_accepted(string header)
    {
        var (rules, problems) = HttpRulesParser.Parse(new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["headers"] = new System.Text.Json.Nodes.JsonArray(header) }).ToJsonString());

        problems.Should().BeEmpty();
        rules.Should().ContainSingle().Which.Headers.Should().Equal(header);
    }

    // Cilium splits a header entry at its first space (name without a trailing ':', then the exact value):
    // each of these would become a header match that no request satisfies, so every request is denied.
    [Theory]
    [InlineData("X-Token:abc", "(the ':' needs a space after it)")]
    [InlineData("X-Token:", "(the ':' needs a space after it)")]
    [InlineData("Authorization:Bearer abc", "(the ':' needs a space after it)")]
    [InlineData(" X-Token", "does not start with an HTTP header name")]
    [InlineData("X(Token): a", "does not start with an HTTP header name")]
    [InlineData("X-Token:  abc", "blanks around its value")]
    [InlineData("X-Token: abc ", "blanks around its value")]
    [InlineData("X-Token: ", "no value")]
    public void Headers_Cilium_would_turn_into_a_match_no_request_satisfies_are_refused(string header, string expected)
    {
        var (rules, problems) = HttpRulesParser.Parse(new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["headers"] = new System.Text.Json.Nodes.JsonArray(header) }).ToJsonString());

        rules.Should().BeEmpty();
        problems.Should().ContainSingle().Which.Should().Contain($"rule 0 header \"{header}\"").And.Contain(expected)
            .And.Contain("the text before the first space as the header name").And.Contain("; expected a JSON or YAML flow list of objects");
    }

    // Cilium matches host against :authority as a full match; clients put ":port" in the Host header for
    // every port but 443.
    [Theory]
    [InlineData("api\\.example\\.com", "api.example.com", 8443, "matches \"api.example.com\" but not \"api.example.com:8443\"")]
    [InlineData("api\\.example\\.com:443", "api.example.com", 443, "matches \"api.example.com:443\" but not \"api.example.com\"")]
    [InlineData("api\\.example\\.com", "api.example.com", 443, null)]
    [InlineData("api\\.example\\.com(:8443)?", "api.example.com", 8443, null)]
    [InlineData("other\\.example\\.com", "api.example.com", 8443, null)]
    [InlineData("api\\.example\\.com", "*.example.com", 8443, null)]
    public void A_host_pattern_missing_the_port_clients_send_is_warned_about(string host, string name, int port, string? expected)
    {
        var warnings = HttpRulesParser.HostWarnings([new HttpRule(null, null, host, [])], [new HostPort(name, port)]);

        if (expected is null)
        {
            warnings.Should().BeEmpty();
        }
        else
        {
            warnings.Should().ContainSingle().Which.Should().StartWith("egress-tls.io/intercept-http-rules: rule 0 host").And.Contain(expected).And.Contain("every request to");
        }
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
