using System.Text;
using EgressTls.Webhook.Admission;

namespace EgressTls.Webhook.Tests.Robustness;

/// <summary>
/// "\ud83d" is valid JSON but not Unicode: an annotation holding one made /mutate answer 500 (System.Text.Json
/// cannot write it back into the denial or the patch). Found by the corpus (encoding/lone surrogate in ...).
/// </summary>
public sealed class UnpairedSurrogateTests
{
    [Theory]
    [InlineData("git\\udc00hub.com")]
    [InlineData("x\\ud800")]
    [InlineData("\\ud83d\\ud83d")]
    public void An_unpaired_surrogate_escape_in_any_string_is_a_400_reason_not_a_500(string escaped)
    {
        var body = Support.Reviews.Pod("uid-s", new System.Text.Json.Nodes.JsonObject { ["egress-tls.io/intercept"] = "PLACEHOLDER" }).ToJsonString()
            .Replace("PLACEHOLDER", escaped, StringComparison.Ordinal);

        AdmissionReviewReader.TryRead(Encoding.UTF8.GetBytes(body), out var request, out var reason).Should().BeFalse();

        request.Should().BeNull();
        reason.Should().Contain("unpaired UTF-16 surrogate").And.Contain("metadata.annotations");
    }

    [Fact]
    public void A_paired_surrogate_escape_is_an_ordinary_character()
    {
        var body = Support.Reviews.Pod("uid-s", new System.Text.Json.Nodes.JsonObject { ["x"] = "PLACEHOLDER" }).ToJsonString()
            .Replace("PLACEHOLDER", "smile \\ud83d\\ude00", StringComparison.Ordinal);

        AdmissionReviewReader.TryRead(Encoding.UTF8.GetBytes(body), out var request, out _).Should().BeTrue();
        request.Should().NotBeNull();
    }
}
