using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Tests.Robustness;

/// <summary>
/// A denial's size is bounded by the number of fields, not by the size of the value: a 17 KiB mtls or
/// http-rules value with thousands of mistakes made a denial of 1.3 MB (one error per token, each repeating the
/// expected form), which the API server returns to the user and logs.
/// </summary>
public class BoundedDenialTests
{
    private static readonly NamespaceInfo OptedIn = new(
        "team-a",
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/enabled", "true")]),
        ImmutableSortedDictionary<string, string>.Empty);

    public static TheoryData<string, string> Floods() => new()
    {
        { "egress-tls.io/mtls", "a.com:443 cert=x " + string.Join(' ', Enumerable.Repeat("zz", 3400)) },
        { "egress-tls.io/mtls", string.Join(';', Enumerable.Repeat("a.com:0", 2000)) },
        { "egress-tls.io/intercept-http-rules", "[" + string.Join(',', Enumerable.Repeat("""{"path":"("}""", 1000)) + "]" },
    };

    [Theory]
    [MemberData(nameof(Floods))]
    public void Thousands_of_mistakes_in_one_value_give_a_bounded_denial_that_still_names_the_field_and_counts_the_rest(string key, string value)
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = "p", ["annotations"] = new JsonObject { ["egress-tls.io/intercept"] = "github.com", [key] = value } },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "alpine" }) },
        };

        var result = Renderer.Render(new RenderInput(pod, AdmissionOperation.Create, OptedIn, ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false), new RenderOptions());

        var errors = result.Should().BeOfType<Rejected>().Subject.Errors;
        errors.Should().OnlyContain(e => e.Field == $"metadata.annotations[{key}]");
        string.Join("; ", errors).Length.Should().BeLessThan(16 * 1024);
        errors[^1].Message.Should().Contain("more problems").And.Contain("expected");
    }
}
