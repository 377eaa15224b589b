using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Patching;

namespace EgressTls.Core.Tests.Patching;

public class PatchBuilderTests
{
    [Theory]
    [InlineData("egress-tls.io/status", "egress-tls.io~1status")]
    [InlineData("example.com/a~b", "example.com~1a~0b")]
    [InlineData("~1", "~01")]
    [InlineData("/~", "~1~0")]
    public void Tokens_escape_tilde_before_slash(string token, string escaped)
    {
        JsonPointer.Escape(token).Should().Be(escaped);
    }

    [Fact]
    public void A_missing_array_is_created_empty_before_appending_with_dash()
    {
        var builder = new PatchBuilder(JsonNode.Parse("""{"spec":{"containers":[{"name":"a"}]}}""")!.AsObject());

        builder.Append(["spec", "volumes"], new JsonObject { ["name"] = "v" });
        builder.Append(["spec", "volumes"], new JsonObject { ["name"] = "w" });

        builder.Operations.Select(o => $"{o.Op} {o.Path} {o.Value?.ToJsonString()}").Should().Equal(
            "add /spec/volumes []",
            "add /spec/volumes/- {\"name\":\"v\"}",
            "add /spec/volumes/- {\"name\":\"w\"}");
    }

    [Fact]
    public void Missing_parents_are_created_outermost_first_and_existing_maps_are_never_replaced()
    {
        var builder = new PatchBuilder(JsonNode.Parse("""{"metadata":{"annotations":{"a/b":"keep"}}}""")!.AsObject());

        builder.AddMember(["metadata", "labels"], "x.io/y", JsonValue.Create("1")).Should().BeTrue();
        builder.AddMember(["metadata", "annotations"], "a/b", JsonValue.Create("overwrite")).Should().BeFalse();
        builder.AddMember(["metadata", "annotations"], "c", JsonValue.Create("2")).Should().BeTrue();

        builder.Operations.Select(o => $"{o.Op} {o.Path}").Should().Equal(
            "add /metadata/labels", "add /metadata/labels/x.io~1y", "add /metadata/annotations/c");
        ((string)builder.Document["metadata"]!["annotations"]!["a/b"]!).Should().Be("keep");
    }

    [Fact]
    public void An_owned_member_is_added_replaced_when_different_and_left_when_equal()
    {
        var builder = new PatchBuilder(JsonNode.Parse("""{"metadata":{"labels":{"p":"old"}}}""")!.AsObject());

        builder.SetOwnedMember(["metadata", "labels"], "p", JsonValue.Create("new"));
        builder.SetOwnedMember(["metadata", "labels"], "p", JsonValue.Create("new"));
        builder.SetOwnedMember(["metadata", "labels"], "q", JsonValue.Create("x"));

        builder.Operations.Select(o => $"{o.Op} {o.Path}").Should().Equal("replace /metadata/labels/p", "add /metadata/labels/q");
    }

    [Fact]
    public void A_string_replacement_is_guarded_by_a_test_of_the_old_value()
    {
        var builder = new PatchBuilder(JsonNode.Parse("""{"env":[{"name":"J","value":"-Xmx1g"}]}""")!.AsObject());

        builder.ReplaceString(["env", "0", "value"], "-Xmx1g", "-Xmx1g -Dx=y");

        builder.Operations.Select(o => $"{o.Op} {o.Path} {o.Value!.ToJsonString()}").Should().Equal(
            "test /env/0/value \"-Xmx1g\"", "replace /env/0/value \"-Xmx1g -Dx=y\"");
    }

    [Fact]
    public void The_original_document_is_never_changed()
    {
        var original = JsonNode.Parse("""{"spec":{}}""")!.AsObject();
        var builder = new PatchBuilder(original);

        builder.Append(["spec", "volumes"], new JsonObject());

        original.ToJsonString().Should().Be("""{"spec":{}}""");
    }

    [Fact]
    public void A_node_is_read_as_its_json_and_the_original_stays_as_given()
    {
        var builder = new PatchBuilder(JsonNode.Parse("""{"spec":{"containers":[{"name":"a"}]}}""")!.AsObject());

        builder.AddMember(["spec", "containers", "0"], "image", JsonValue.Create("x"));

        builder.Original.GetRawText().Should().Be("""{"spec":{"containers":[{"name":"a"}]}}""");
        builder.Document.ToJsonString().Should().Be("""{"spec":{"containers":[{"name":"a","image":"x"}]}}""");
    }

    [Fact]
    public void Items_appended_to_a_created_array_and_members_of_created_maps_are_seen_by_later_operations()
    {
        var builder = new PatchBuilder(JsonNode.Parse("""{"spec":{"volumes":null}}""")!.AsObject());

        builder.Append(["spec", "volumes"], new JsonObject { ["name"] = "v" });
        builder.AddMember(["spec", "volumes", "0"], "name", JsonValue.Create("w")).Should().BeFalse("the appended item has a name");
        builder.AddMember(["spec", "volumes", "0"], "emptyDir", new JsonObject()).Should().BeTrue();
        builder.SetOwnedMember(["metadata", "labels"], "p", JsonValue.Create("1"));
        builder.SetOwnedMember(["metadata", "labels"], "p", JsonValue.Create("1"));

        builder.Operations.Select(o => $"{o.Op} {o.Path}").Should().Equal(
            "replace /spec/volumes", "add /spec/volumes/-", "add /spec/volumes/0/emptyDir",
            "add /metadata", "add /metadata/labels", "add /metadata/labels/p");
        builder.Document.ToJsonString().Should().Be("""{"spec":{"volumes":[{"name":"v","emptyDir":{}}]},"metadata":{"labels":{"p":"1"}}}""");
    }

    [Fact]
    public void A_removed_owned_member_is_tested_with_a_copy_of_its_value_that_outlives_the_document()
    {
        PatchOperation test;
        using (var json = JsonDocument.Parse("""{"metadata":{"annotations":{"o":{"a":[1,"x"]}}}}"""))
        {
            var builder = new PatchBuilder(json.RootElement);
            builder.RemoveOwnedMember(["metadata", "annotations"], "o");
            builder.RemoveOwnedMember(["metadata", "annotations"], "o");
            builder.Operations.Select(o => $"{o.Op} {o.Path}").Should().Equal("test /metadata/annotations/o", "remove /metadata/annotations/o");
            test = builder.Operations[0];
        }

        test.Value!.ToJsonString().Should().Be("""{"a":[1,"x"]}""");
    }
}
