using System.Text.Json.Nodes;
using EgressTls.Core.Serialization;

namespace EgressTls.Core.Tests.Serialization;

public class YamlTests
{
    [Fact]
    public void Strings_that_YAML_would_read_as_other_types_are_quoted_and_round_trip()
    {
        var node = new JsonObject
        {
            ["port"] = "443",
            ["enabled"] = "true",
            ["norway"] = "no",
            ["time"] = "1:30",
            ["pattern"] = "*.github.com",
            ["header"] = "dada: dada",
            ["empty"] = "",
            ["multi"] = "line one\nline two\n",
            ["number"] = 8083,
            ["flag"] = false,
            ["nothing"] = null,
        };

        var text = Yaml.Write(node);
        var back = Yaml.Parse(text)!;

        back.ToJsonString().Should().Be(node.ToJsonString());
        text.Should().Contain("port: \"443\"").And.Contain("number: 8083").And.Contain("pattern: \"*.github.com\"");
    }

    [Fact]
    public void A_stream_keeps_document_order_and_skips_empty_documents()
    {
        var docs = Yaml.ParseStream("---\na: 1\n---\n---\nb: [x, 'y']\n");

        docs.Should().HaveCount(2);
        docs[0]!["a"]!.GetValue<long>().Should().Be(1);
        docs[1]!["b"]!.AsArray().Select(n => (string)n!).Should().Equal("x", "y");
    }

    [Fact]
    public void Duplicate_keys_are_an_error_not_a_silent_overwrite()
    {
        var act = () => Yaml.Parse("a: 1\na: 2\n");

        act.Should().Throw<YamlDotNet.Core.YamlException>().WithMessage("*uplicate key*");
    }
}
