using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes.Reconciliation;
using EgressTls.Pki;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>When a desired object is re-applied.</summary>
public sealed class DriftCheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static LiveState AsLive(GeneratedObject obj, string hash, Action<JsonObject>? edit = null)
    {
        var json = obj.Manifest.DeepClone().AsObject();
        json["metadata"]!["annotations"] = new JsonObject { [ContentHash.Annotation] = hash };
        edit?.Invoke(json);
        return new LiveState(json);
    }

    [Fact]
    public void Missing_rehashed_and_edited_objects_are_reapplied_and_fields_others_add_are_not_drift()
    {
        var cnp = Objects.Cnp();
        var hash = ContentHash.Compute(cnp, null);

        DriftCheck.Reason(cnp, hash, null, null, null, Now).Should().Be("missing");
        DriftCheck.Reason(cnp, hash, AsLive(cnp, "other"), null, null, Now).Should().Be("content changed");
        DriftCheck.Reason(cnp, hash, AsLive(cnp, hash, j => j["spec"]!["egress"]![0]!["toFQDNs"]![0]!["matchName"] = "evil.com"), null, null, Now).Should().Be("spec edited");
        DriftCheck.Reason(cnp, hash, AsLive(cnp, hash, j => j["metadata"]!["labels"]!.AsObject().Remove("egress-tls.io/profile")), null, null, Now).Should().Be("metadata edited");
        DriftCheck.Reason(cnp, hash, AsLive(cnp, hash, j => { j["spec"]!["description"] = "added by someone"; j["status"] = new JsonObject(); }), null, null, Now).Should().BeNull();
        DriftCheck.Reason(cnp, hash, AsLive(cnp, hash), null, null, Now).Should().BeNull();
    }

    [Fact]
    public void Data_that_differs_from_what_it_must_hold_is_reapplied()
    {
        var bundle = Objects.TrustBundle();
        var hash = ContentHash.Compute(bundle, "ca-1");
        var live = AsLive(bundle, hash, j => j["data"] = new JsonObject { ["ca.crt"] = "old" });

        DriftCheck.Reason(bundle, hash, live, new Dictionary<string, string> { ["ca.crt"] = "new" }, null, Now).Should().Be("data differs");
        DriftCheck.Reason(bundle, hash, live, new Dictionary<string, string> { ["ca.crt"] = "old" }, null, Now).Should().BeNull();
    }

    [Fact]
    public void A_leaf_is_due_exactly_at_not_after_minus_renew_before_and_not_a_second_earlier()
    {
        var leaf = Objects.LeafSecret();
        var hash = ContentHash.Compute(leaf, "ca-1");
        var notAfter = Now + TimeSpan.FromDays(40);
        var live = AsLive(leaf, hash, j => j["data"] = new JsonObject { ["tls.crt"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(SelfSigned(notAfter))) });
        var policy = new RenewalPolicy(TimeSpan.FromDays(365), TimeSpan.FromDays(30));
        var due = notAfter - TimeSpan.FromDays(30);

        DriftCheck.Reason(leaf, hash, live, null, policy, due - TimeSpan.FromSeconds(1)).Should().BeNull();
        DriftCheck.Reason(leaf, hash, live, null, policy, due).Should().Be("leaf due for renewal");
        DriftCheck.Reason(leaf, hash, live, null, null, due).Should().BeNull("cert-manager renews its own leaves");
        DriftCheck.Reason(leaf, hash, AsLive(leaf, hash, j => j["data"] = new JsonObject { ["tls.crt"] = "Z2FyYmFnZQ==" }), null, policy, Now).Should().Be("leaf unreadable");
    }

    private static string SelfSigned(DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=leaf", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(notAfter - TimeSpan.FromDays(365), notAfter);
        return cert.ExportCertificatePem();
    }
}
