using System.Text.Json.Nodes;
using EgressTls.Core.Serialization;

namespace EgressTls.Core.Tests.Robustness;

/// <summary>`render` prints user values through <see cref="Yaml.Write"/>: hostile strings must come back unchanged.</summary>
public class YamlRoundTripTests
{
    [Theory]
    [InlineData("github.com\r\nx: y")]
    [InlineData("a\rb")]
    [InlineData("line\r\n")]
    [InlineData("one\ntwo\u0001")]
    [InlineData("one\ntwo\u2028three")]
    [InlineData("one\n\u0085two")]
    [InlineData("one\n---\nkind: Secret")]
    [InlineData("\n leading")]
    [InlineData("trailing spaces  \nnext")]
    [InlineData("tab\there\nnext\t")]
    public void Multi_line_strings_with_any_characters_round_trip(string value)
    {
        var node = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["egress-tls.io/intercept"] = value } } };

        var back = Yaml.Parse(Yaml.Write(node))!;

        back["metadata"]!["annotations"]!["egress-tls.io/intercept"]!.GetValue<string>().Should().Be(value);
    }
}
