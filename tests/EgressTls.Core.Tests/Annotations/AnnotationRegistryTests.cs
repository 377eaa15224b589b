using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Annotations;
using EgressTls.Core.Rendering;
using EgressTls.Core.Tests.Support;

namespace EgressTls.Core.Tests.Annotations;

public class AnnotationRegistryTests
{
    public static TheoryData<string, string> InvalidValues() => new()
    {
        { "intercept", "*.com" },
        { "intercept-http-rules", "[{\"verb\":\"GET\"}]" },
        { "upstream-ca", "Not_A_Name" },
        { "mtls", "10.0.0.1 cert=c" },
        { "inject-ca", "on" },
        { "ca-system-paths", "1" },
        { "other-egress", "block" },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void An_invalid_value_is_one_error_naming_the_annotation_quoting_the_value_and_stating_the_form(string key, string value)
    {
        var annotations = new JsonObject { ["egress-tls.io/intercept"] = "github.com", [$"egress-tls.io/{key}"] = value };
        var pod = new JsonObject
        {
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = "p", ["labels"] = new JsonObject { ["egress-tls.io/enabled"] = "true" }, ["annotations"] = annotations },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "a" }) },
        };

        var result = Renderer.Render(new RenderInput(pod, AdmissionOperation.Create, NamespaceInfo.Bare("team-a"), ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false), new RenderOptions());

        var error = result.Should().BeOfType<Rejected>().Subject.Errors.Should().ContainSingle().Subject;
        error.Field.Should().Be($"metadata.annotations[egress-tls.io/{key}]");
        error.Message.Should().Contain("; expected ").And.Contain(AnnotationRegistry.Find($"egress-tls.io/{key}")!.Form);
    }

    [Fact]
    public void Every_user_key_is_documented_in_the_README()
    {
        var readme = File.ReadAllText(Path.Combine(Tools.RepoRoot, "README.md"));

        foreach (var key in AnnotationRegistry.All.Where(k => k.AllowedOn != AnnotationScope.None))
        {
            readme.Should().Contain($"| `{key.Name}` |", $"README.md's annotation table must document {key.FullName}");
        }
    }

    [Fact]
    public void Keys_are_declared_once()
    {
        AnnotationRegistry.All.Select(k => k.Name).Should().OnlyHaveUniqueItems();
    }
}
