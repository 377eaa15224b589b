using System.Text;
using System.Text.Json.Nodes;
using EgressTls.LoadBench.Load;
using EgressTls.LoadBench.Workload;

namespace EgressTls.LoadBench.Tests;

/// <summary>The answer checker the load runs (and the CI smoke) rely on: a wrong answer is reported, a right one is not.</summary>
public sealed class ResponseCheckTests
{
    private const string Uid = "00000000-0000-4000-8000-00000000002a";
    private static readonly string Patch = Convert.ToBase64String(Encoding.UTF8.GetBytes("""[{"op":"add","path":"/metadata/labels/a","value":"b"}]"""));

    [Fact]
    public void A_right_answer_with_the_expected_patch_passes()
    {
        Check(Answer()).Should().BeNull();
        Check(Answer(), decodePatch: true).Should().BeNull();
        Check(Answer(patch: null), PatchExpectation.NoPatch).Should().BeNull();
    }

    [Fact]
    public void An_HTTP_error_fails() =>
        ResponseCheck.Problem(500, "internal error"u8, Uid, PatchExpectation.Patch, decodePatch: false).Should().StartWith("HTTP 500");

    [Fact]
    public void Another_requests_uid_fails() =>
        Check(Answer(uid: "00000000-0000-4000-8000-00000000002b")).Should().Contain("uid");

    [Fact]
    public void A_denial_fails() =>
        Check(Answer(allowed: false)).Should().StartWith("not allowed");

    [Fact]
    public void A_missing_patch_fails_where_one_is_expected() =>
        Check(Answer(patch: null)).Should().Be("no patch where one was expected");

    [Fact]
    public void A_patch_fails_where_none_is_expected() =>
        Check(Answer(), PatchExpectation.NoPatch).Should().Be("a patch where none was expected");

    [Fact]
    public void A_patch_without_its_type_fails() =>
        Check(Answer(patchType: null)).Should().Contain("patchType");

    [Fact]
    public void An_empty_or_undecodable_patch_fails_when_decoded()
    {
        Check(Answer(patch: Convert.ToBase64String("[]"u8.ToArray())), decodePatch: true).Should().Contain("non-empty");
        Check(Answer(patch: "not base64!"), decodePatch: true).Should().StartWith("malformed answer");
    }

    [Fact]
    public void Something_that_is_not_an_AdmissionReview_fails()
    {
        Check(Encoding.UTF8.GetBytes("{\"allowed\":true}")).Should().Contain("AdmissionReview");
        Check("not json"u8.ToArray()).Should().StartWith("malformed answer");
    }

    private static string? Check(byte[] body, PatchExpectation expectation = PatchExpectation.Patch, bool decodePatch = false) =>
        ResponseCheck.Problem(200, body, Uid, expectation, decodePatch);

    private static byte[] Answer(string uid = Uid, bool allowed = true, string? patch = "default", string? patchType = "JSONPatch")
    {
        var response = new JsonObject { ["uid"] = uid, ["allowed"] = allowed };
        if (patch is not null)
        {
            if (patchType is not null)
            {
                response["patchType"] = patchType;
            }

            response["patch"] = patch == "default" ? Patch : patch;
        }

        return Encoding.UTF8.GetBytes(new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response }.ToJsonString());
    }
}
