using System.Text.Json.Nodes;
using EgressTls.Core.Patching;
using EgressTls.Webhook.Rendering;
using EgressTls.Webhook.Tests.Support;

namespace EgressTls.Webhook.Tests;

/// <summary>The host's RFC 6902 applier, checked against Kubernetes' own patch code (kubectl patch --local).</summary>
public sealed class JsonPatchTests
{
    private const string Pod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"team-a","annotations":{"a~b/c":"1"}},
         "spec":{"initContainers":[{"name":"init","image":"busybox"}],
                 "containers":[{"name":"web","image":"nginx","env":[{"name":"A","value":"1"}]},{"name":"side","image":"envoy"}]}}
        """;

    public static TheoryData<string, string> Patches() => new()
    {
        { "create a missing map, then a key that needs ~1", """[{"op":"add","path":"/metadata/labels","value":{}},{"op":"add","path":"/metadata/labels/egress-tls.io~1profile","value":"p1"}]""" },
        { "key with ~0 and ~1", """[{"op":"add","path":"/metadata/annotations/x~0y~1z","value":"v"},{"op":"test","path":"/metadata/annotations/a~0b~1c","value":"1"}]""" },
        { "append with -", """[{"op":"add","path":"/spec/containers/0/env/-","value":{"name":"SSL_CERT_FILE","value":"/etc/egress-tls/trust/ca-bundle.crt"}}]""" },
        { "create a missing array then append", """[{"op":"add","path":"/spec/volumes","value":[]},{"op":"add","path":"/spec/volumes/-","value":{"name":"egress-tls-trust","configMap":{"name":"egress-tls-trust-bundle"}}},{"op":"add","path":"/spec/containers/1/volumeMounts","value":[{"name":"egress-tls-trust","mountPath":"/etc/egress-tls/trust","readOnly":true}]}]""" },
        { "insert at an index", """[{"op":"add","path":"/spec/containers/0/env/0","value":{"name":"FIRST","value":"0"}}]""" },
        { "replace a value", """[{"op":"replace","path":"/spec/containers/0/env/0/value","value":"2"}]""" },
        { "init containers too", """[{"op":"add","path":"/spec/initContainers/0/env","value":[{"name":"NODE_EXTRA_CA_CERTS","value":"/etc/egress-tls/trust/ca.crt"}]}]""" },
        { "test then add", """[{"op":"test","path":"/spec/containers/1/name","value":"side"},{"op":"add","path":"/metadata/annotations/egress-tls.io~1status","value":"{\"hash\":\"abc\"}"}]""" },
    };

    [Theory]
    [MemberData(nameof(Patches))]
    public async Task Gives_the_same_object_as_kubectl_patch_local(string name, string patchJson)
    {
        var kubectl = Tools.Require("kubectl");
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("pod.json"), Pod);
        var operations = ParsePatch(patchJson);

        var ours = JsonPatch.Apply(JsonNode.Parse(Pod), operations);
        var (code, stdout, stderr) = await Tools.RunAsync(kubectl,
            ["patch", "--local", "-f", dir.File("pod.json"), "--type=json", "-p", patchJson, "-o", "json"]);

        code.Should().Be(0, $"{name}: {stderr}");
        var theirs = JsonNode.Parse(stdout);
        JsonNode.DeepEquals(ours, theirs).Should().BeTrue($"{name}:\nours   {ours!.ToJsonString()}\ntheirs {theirs!.ToJsonString()}");
    }

    // kubectl's json-patch library is laxer than RFC 6902/6901 in three places (replace of a missing member,
    // leading zeros in an index, unknown ~ escapes); our applier follows the RFCs there, which only matters
    // for patches egress-tls never produces (nor move, which it never emits). Everything else is refused by both.
    [Theory]
    [InlineData("""[{"op":"add","path":"/spec/volumes/-","value":{}}]""", "\"/spec/volumes\" does not exist", true)]
    [InlineData("""[{"op":"add","path":"/spec/containers/5","value":{}}]""", "out of bounds", true)]
    [InlineData("""[{"op":"test","path":"/metadata/name","value":"other"}]""", "test failed", true)]
    [InlineData("""[{"op":"add","path":"metadata","value":{}}]""", "must start with /", true)]
    [InlineData("""[{"op":"add","path":"/metadata/name/x","value":1}]""", "not an object or array", true)]
    [InlineData("""[{"op":"replace","path":"/metadata/labels","value":{}}]""", "\"labels\" does not exist", false)]
    [InlineData("""[{"op":"add","path":"/spec/containers/01","value":{}}]""", "not an array index", false)]
    [InlineData("""[{"op":"add","path":"/metadata/a~2b","value":{}}]""", "invalid escape", false)]
    [InlineData("""[{"op":"move","from":"/metadata/annotations","path":"/metadata/labels"}]""", "unsupported operation", false)]
    public async Task Refuses_invalid_operations_as_kubectl_does(string patchJson, string reason, bool kubectlRefusesToo)
    {
        var act = () => JsonPatch.Apply(JsonNode.Parse(Pod), ParsePatch(patchJson));

        act.Should().Throw<JsonPatchException>().WithMessage($"*{reason}*");
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("pod.json"), Pod);
        var (code, _, _) = await Tools.RunAsync(Tools.Require("kubectl"),
            ["patch", "--local", "-f", dir.File("pod.json"), "--type=json", "-p", patchJson, "-o", "json"]);
        (code != 0).Should().Be(kubectlRefusesToo);
    }

    [Fact]
    public void A_failing_patch_leaves_the_input_untouched()
    {
        var pod = JsonNode.Parse(Pod)!;
        var before = pod.ToJsonString();

        var act = () => JsonPatch.Apply(pod, ParsePatch("""[{"op":"add","path":"/metadata/labels","value":{"a":"b"}},{"op":"test","path":"/metadata/name","value":"x"}]"""));

        act.Should().Throw<JsonPatchException>().WithMessage("operation 1 (test /metadata/name)*");
        pod.ToJsonString().Should().Be(before);
    }

    [Theory]
    [InlineData("/a~1b/c~0d/~01", new[] { "a/b", "c~d", "~1" })]
    [InlineData("/", new[] { "" })]
    [InlineData("", new string[0])]
    public void Pointers_unescape_tilde_one_before_tilde_zero(string pointer, string[] tokens) =>
        JsonPatch.ParsePointer(pointer).Should().Equal(tokens);

    private static List<PatchOperation> ParsePatch(string json) =>
        [.. JsonNode.Parse(json)!.AsArray().Select(n => new PatchOperation((string)n!["op"]!, (string)n["path"]!, n["value"]?.DeepClone()))];
}
