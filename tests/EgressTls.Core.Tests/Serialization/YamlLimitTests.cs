using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core.Serialization;
using YamlDotNet.Core;

namespace EgressTls.Core.Tests.Serialization;

/// <summary>Nesting and alias expansion are bounded while parsing, whatever the input's size.</summary>
public class YamlLimitTests
{
    private const string DepthMessage = "mappings and sequences nest deeper than 256 levels (expected at most 256 levels of nesting)";

    [Fact]
    public void Flow_nesting_far_beyond_the_limit_is_refused_where_it_passes_the_limit()
    {
        var text = new string('[', 20_000) + new string(']', 20_000);

        var act = () => Yaml.ParseStream(text);

        var refused = act.Should().Throw<YamlLimitException>().Which;
        refused.Message.Should().Be(DepthMessage);
        refused.Start.Line.Should().Be(1);
        refused.Start.Column.Should().Be(Yaml.MaxDepth + 1);
    }

    [Theory]
    [InlineData("flow sequences")]
    [InlineData("flow mappings")]
    [InlineData("block sequences")]
    [InlineData("block mappings")]
    public void Nesting_at_the_limit_parses_and_one_level_more_is_refused(string style)
    {
        Depth(Yaml.Parse(Nested(style, Yaml.MaxDepth))).Should().Be(Yaml.MaxDepth);

        var act = () => Yaml.Parse(Nested(style, Yaml.MaxDepth + 1));

        act.Should().Throw<YamlLimitException>().WithMessage(DepthMessage);
    }

    [Fact]
    public void Block_nesting_of_thirty_thousand_levels_is_refused_not_a_crash()
    {
        var text = new StringBuilder().Insert(0, "- ", 30_000).Append('x').ToString();

        var act = () => Yaml.ParseStream(text);

        act.Should().Throw<YamlLimitException>().WithMessage(DepthMessage);
    }

    [Fact]
    public void An_alias_bomb_is_refused_naming_the_budget()
    {
        // Seven levels of ten aliases: about 300 bytes that would expand to ten million nodes.
        var text = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var level = 1; level <= 7; level++)
        {
            text.Append(FormattableString.Invariant($"a{level}: &a{level} [{string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10))}]\n"));
        }

        var act = () => Yaml.Parse(text.ToString());

        act.Should().Throw<YamlLimitException>()
            .WithMessage("aliases expand to more than 100000 nodes (expected at most 100000 for this input: one node per character, and at least 100000)");
    }

    [Fact]
    public void The_alias_budget_grows_with_the_input()
    {
        // 60,000 aliases of a five-node list build 300,000 nodes: more than the 180,000 characters of the
        // first text, fewer than the 480,000 of the second, where each alias is the value of a mapping.
        var shortText = "a: &a [x, x, x, x]\nb: [" + string.Join(",", Enumerable.Repeat("*a", 60_000)) + "]\n";
        var longText = "a: &a [x, x, x, x]\nb: [" + string.Join(",", Enumerable.Repeat("{k: *a}", 60_000)) + "]\n";

        var refuse = () => Yaml.Parse(shortText);
        refuse.Should().Throw<YamlLimitException>().WithMessage(
            $"aliases expand to more than {shortText.Length} nodes (expected at most {shortText.Length} for this input: one node per character, and at least 100000)");

        var node = Yaml.Parse(longText)!;
        node["b"]!.AsArray().Should().HaveCount(60_000);
        node["b"]![59_999]!["k"]!.ToJsonString().Should().Be("""["x","x","x","x"]""");
    }

    [Fact]
    public void Anchors_and_aliases_in_a_manifest_are_copies_of_the_anchored_node()
    {
        const string Text = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: &name web
              labels: {app: *name}
            spec:
              template:
                spec:
                  containers:
                  - name: app
                    env: &env
                    - {name: MODE, value: "1"}
                    - {name: PORT, value: 8080}
                  - name: sidecar
                    env: *env
            """;

        var node = Yaml.Parse(Text)!;

        node["metadata"]!["labels"]!["app"]!.GetValue<string>().Should().Be("web");
        var containers = node["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        containers[1]!["env"]!.ToJsonString().Should().Be(containers[0]!["env"]!.ToJsonString())
            .And.Be("""[{"name":"MODE","value":"1"},{"name":"PORT","value":8080}]""");
        containers[1]!["env"].Should().NotBeSameAs(containers[0]!["env"]);
    }

    [Fact]
    public void An_aliased_scalar_keeps_its_type_and_may_be_a_key()
    {
        var node = Yaml.Parse("a: &n 5\nb: *n\nc: &s '5'\nd: *s\n*s : key\n")!;

        node.ToJsonString().Should().Be("""{"a":5,"b":5,"c":"5","d":"5","5":"key"}""");
    }

    [Fact]
    public void An_alias_whose_copy_would_nest_too_deep_is_refused()
    {
        var anchored = new string('[', 200) + new string(']', 200);

        Depth(Yaml.Parse($"[&a {anchored}, {new string('[', 55)}*a{new string(']', 55)}]")).Should().Be(Yaml.MaxDepth);

        var act = () => Yaml.Parse($"[&a {anchored}, {new string('[', 56)}*a{new string(']', 56)}]");
        act.Should().Throw<YamlLimitException>().WithMessage(DepthMessage);
    }

    [Theory]
    [InlineData("&a [*a]")]
    [InlineData("[*a, &a 1]")]
    [InlineData("--- &a 1\n--- *a\n")]
    [InlineData("&a {k: *a}")]
    public void An_alias_of_no_earlier_complete_node_is_an_error(string text)
    {
        var act = () => Yaml.ParseStream(text);

        act.Should().Throw<YamlException>().WithMessage("alias *a refers to no complete node before it; expected an anchor &a on an earlier node of the document");
    }

    [Fact]
    public void An_alias_of_a_mapping_used_as_a_key_is_an_error()
    {
        var act = () => Yaml.Parse("a: &m {k: v}\n*m : x\n");

        act.Should().Throw<YamlException>().WithMessage("only scalar mapping keys are supported").Which.Start.Line.Should().Be(2);
    }

    private static string Nested(string style, int depth) => style switch
    {
        "flow sequences" => new string('[', depth) + "x" + new string(']', depth),
        "flow mappings" => new StringBuilder().Insert(0, "{a: ", depth).Append('x').Append('}', depth).ToString(),
        "block sequences" => new StringBuilder().Insert(0, "- ", depth).Append('x').ToString(),
        "block mappings" => string.Concat(Enumerable.Range(0, depth).Select(i => new string(' ', i) + "a:" + (i == depth - 1 ? " x" : "") + "\n")),
        _ => throw new ArgumentOutOfRangeException(nameof(style)),
    };

    // Levels of mappings and sequences, counted without recursion.
    private static int Depth(JsonNode? root)
    {
        var deepest = 0;
        var pending = new Stack<(JsonNode? Node, int Depth)>([(root, 1)]);
        while (pending.TryPop(out var item))
        {
            if (item.Node is JsonObject or JsonArray)
            {
                deepest = Math.Max(deepest, item.Depth);
                foreach (var child in item.Node is JsonObject obj ? obj.Select(p => p.Value) : item.Node.AsArray())
                {
                    pending.Push((child, item.Depth + 1));
                }
            }
        }

        return deepest;
    }
}
