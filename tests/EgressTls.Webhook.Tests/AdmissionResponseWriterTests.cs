using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core.Patching;
using EgressTls.Webhook.Admission;

namespace EgressTls.Webhook.Tests;

public sealed class AdmissionResponseWriterTests
{
    [Fact]
    public void A_mutation_carries_a_base64_json_patch_and_its_warnings()
    {
        var outcome = new AdmissionOutcome(true,
            [new PatchOperation("add", "/metadata/labels/egress-tls.io~1profile", JsonValue.Create("abc"))],
            ["other egress stays allowed"], null, null, "Mutated", "mutated", 2);

        var response = AdmissionResponseWriter.Build("uid-9", outcome)["response"]!;

        response["uid"]!.GetValue<string>().Should().Be("uid-9");
        response["patchType"]!.GetValue<string>().Should().Be("JSONPatch");
        Encoding.UTF8.GetString(Convert.FromBase64String(response["patch"]!.GetValue<string>()))
            .Should().Be("""[{"op":"add","path":"/metadata/labels/egress-tls.io~1profile","value":"abc"}]""");
        response["warnings"]!.AsArray().Select(w => (string)w!).Should().Equal("other egress stays allowed");
    }

    [Theory]
    [InlineData("~~~???>>>")]
    [InlineData("a~~~???>>>")]
    [InlineData("ab~~~???>>>")]
    public void The_patch_is_sent_as_its_plain_base64_whatever_characters_the_base64_holds(string value)
    {
        ImmutableArray<PatchOperation> patch = [new PatchOperation("add", "/metadata/labels/x", JsonValue.Create(value))];
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(AdmissionResponseWriter.PatchJson(patch)));
        base64.Should().ContainAny("+", "/");

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        AdmissionResponseWriter.Write(buffer, "u", new AdmissionOutcome(true, patch, [], null, null, "Mutated", "mutated", 0));

        Encoding.UTF8.GetString(buffer.WrittenSpan).Should().Contain("\"patch\":\"" + base64 + "\"", "base64 needs no JSON escaping");
        Encoding.UTF8.GetString(AdmissionResponseWriter.EncodePatch(patch)).Should().Be("\"" + base64 + "\"");
        System.Text.Json.JsonDocument.Parse(buffer.WrittenMemory).RootElement.GetProperty("response").GetProperty("patch").GetString()
            .Should().Be(base64);
    }

    [Fact]
    public void A_rejection_is_a_403_with_every_field_error()
    {
        var outcome = AdmissionOutcome.Deny(403, "metadata.annotations[egress-tls.io/intercept]: bad; metadata.annotations[egress-tls.io/mtls]: worse", "Rejected", "invalid-annotations");

        var response = AdmissionResponseWriter.Build("u", outcome)["response"]!;

        response["allowed"]!.GetValue<bool>().Should().BeFalse();
        response["status"]!["code"]!.GetValue<int>().Should().Be(403);
        response["status"]!["reason"]!.GetValue<string>().Should().Be("Forbidden");
        response["status"]!["message"]!.GetValue<string>().Should().Contain("egress-tls.io/intercept").And.Contain("egress-tls.io/mtls");
        response.AsObject().ContainsKey("patch").Should().BeFalse();
    }

    [Fact]
    public void Warnings_are_cut_to_120_characters_without_splitting_characters_and_lose_control_characters()
    {
        var emoji = string.Concat(Enumerable.Repeat("🔒", 100)); // surrogate pairs
        var warnings = AdmissionResponseWriter.Warnings([new string('w', 300), emoji, "line one\nline two", "\u0007"]);

        warnings.Should().HaveCount(3);
        warnings.Should().OnlyContain(w => w.Length <= 120);
        warnings[0].Should().EndWith("...");
        warnings[1].Should().EndWith("...");
        warnings[1][..^3].Should().Be(string.Concat(Enumerable.Repeat("🔒", warnings[1][..^3].Length / 2)));
        warnings[2].Should().Be("line one line two");
    }

    [Fact]
    public void A_cut_never_separates_a_combining_mark_from_its_letter()
    {
        var accented = new string('a', 116) + "e\u0301" + new string('b', 50); // é as e + U+0301 across the cut
        var ascii = new string('a', 116) + "eb" + new string('b', 50);

        var warnings = AdmissionResponseWriter.Warnings([accented, ascii]);

        warnings[0].Should().Be(new string('a', 116) + "...");
        warnings[1].Should().Be(new string('a', 116) + "e...");
    }

    [Fact]
    public void An_empty_patch_sends_no_patch_fields()
    {
        var outcome = new AdmissionOutcome(true, ImmutableArray<PatchOperation>.Empty, [], null, null, "Mutated", "already-mutated", 3);

        var response = AdmissionResponseWriter.Build("u", outcome)["response"]!.AsObject();

        response.ContainsKey("patch").Should().BeFalse();
        response.ContainsKey("patchType").Should().BeFalse();
        response.ContainsKey("warnings").Should().BeFalse();
    }
}
