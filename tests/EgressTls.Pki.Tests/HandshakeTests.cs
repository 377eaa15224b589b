using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

/// <summary>Real TLS: `openssl s_server` presents leaves we issue; curl and `openssl s_client` decide with only the bundle a pod gets.</summary>
public sealed class HandshakeTests
{
    private static Tool.Result Curl(string caFile, string name, int port) =>
        Tool.Run("curl", "-sS", "-o", "/dev/null", "--max-time", "20", "--cacert", caFile, "--resolve", $"{name}:{port}:127.0.0.1", $"https://{name}:{port}/");

    [Fact]
    public void Curl_accepts_the_leaf_with_the_pod_bundle_and_rejects_it_with_public_roots_only()
    {
        using var dir = new TempDir();
        var ca = Fixtures.Ca();
        var leaf = LeafIssuer.Issue(ca, Fixtures.Request("api.example.test"), TimeProvider.System, Randomness.Real());
        var bundle = TrustBundleBuilder.Build([ca.TrustAnchor], Fixtures.PublicRoots, Randomness.Real());
        var caBundle = dir.Write("ca-bundle.crt", bundle.CaBundleCrt);
        var caOnly = dir.Write("ca.crt", bundle.CaCrt);
        using var server = TlsServer.Start(dir, leaf);

        Curl(caBundle, "api.example.test", server.Port).ExitCode.Should().Be(0);
        Curl(caOnly, "api.example.test", server.Port).ExitCode.Should().Be(0);
        var refused = Curl("/etc/ssl/certs/ca-certificates.crt", "api.example.test", server.Port);
        refused.ExitCode.Should().Be(60, "curl error 60 = peer certificate cannot be authenticated with known CA certificates; got: " + refused.All);

        var sClient = Tool.Run("openssl", "s_client", "-connect", $"127.0.0.1:{server.Port}", "-servername", "api.example.test",
            "-verify_hostname", "api.example.test", "-verify_return_error", "-CAfile", caBundle, "-brief");
        sClient.ExitCode.Should().Be(0, sClient.All);
        sClient.All.Should().Contain("Verification: OK");
        var sClientNoTrust = Tool.Run("openssl", "s_client", "-connect", $"127.0.0.1:{server.Port}", "-servername", "api.example.test",
            "-verify_return_error", "-CAfile", "/etc/ssl/certs/ca-certificates.crt", "-brief");
        sClientNoTrust.ExitCode.Should().NotBe(0);
    }

    [Fact]
    public void Wildcard_leaf_covers_one_label_only()
    {
        using var dir = new TempDir();
        var ca = Fixtures.Ca();
        var leaf = LeafIssuer.Issue(ca, Fixtures.Request("*.example.test"), TimeProvider.System, Randomness.Real());
        var bundle = dir.Write("ca-bundle.crt", TrustBundleBuilder.Build([ca.TrustAnchor], "", Randomness.Real()).CaBundleCrt);
        using var server = TlsServer.Start(dir, leaf);

        Curl(bundle, "a.example.test", server.Port).ExitCode.Should().Be(0);
        var deeper = Curl(bundle, "a.b.example.test", server.Port);
        deeper.ExitCode.Should().Be(60, deeper.All);
        deeper.Stderr.Should().Contain("no alternative certificate subject name matches target host name 'a.b.example.test'");
        Curl(bundle, "example.test", server.Port).ExitCode.Should().Be(60, "*.example.test does not cover the apex");
    }

    [Fact]
    public void Leaf_of_an_imported_intermediate_is_served_with_its_chain_and_trusted_via_the_root()
    {
        using var dir = new TempDir();
        PkiScript.Make(dir.Path);
        var import = CertificateAuthority.Import(
            File.ReadAllText(dir.File("intermediate-ca.crt")) + File.ReadAllText(dir.File("root-ca.crt")),
            File.ReadAllText(dir.File("intermediate-ca.key")), null, TimeProvider.System);
        import.Errors.Should().BeEmpty();
        var ca = import.Authority!;
        var leaf = LeafIssuer.Issue(ca, Fixtures.Request("svc.example.test"), TimeProvider.System, Randomness.Real());
        Pem.Blocks(leaf.TlsCrt).Should().HaveCount(2, "leaf + intermediate, never the root");
        var bundle = TrustBundleBuilder.Build([ca.TrustAnchor], Fixtures.PublicRoots, Randomness.Real());
        bundle.CaCrt.Should().Be(File.ReadAllText(dir.File("root-ca.crt")).Replace("\r", ""), "bundles carry the root, not the intermediate");
        using var server = TlsServer.Start(dir, leaf);

        Curl(dir.Write("pod-ca-bundle.crt", bundle.CaBundleCrt), "svc.example.test", server.Port).ExitCode.Should().Be(0);
    }

    [Fact]
    public void During_a_rotation_the_pod_bundle_accepts_leaves_of_both_CAs_and_after_retirement_only_the_new_one()
    {
        using var dir = new TempDir();
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var a = Fixtures.Ca(time: time, seed: 11);
        var b = Fixtures.Ca(time: time, seed: 12);
        var policy = new CaRotationPolicy(TimeSpan.FromDays(365), TimeSpan.FromHours(1), TimeSpan.FromDays(7));
        var state = CaRotationPlanner.Advance(CaRotation.Start(a, time), a, policy, time, CaRotationDemand.Requested, () => b).State;
        var overlap = dir.Write("overlap.crt", TrustBundleBuilder.Build(state.BundleAnchors, "", Randomness.Real()).CaCrt);
        var fromA = LeafIssuer.Issue(a, Fixtures.Request("old.example.test"), TimeProvider.System, Randomness.Real());
        var fromB = LeafIssuer.Issue(b, Fixtures.Request("new.example.test"), TimeProvider.System, Randomness.Real());
        using var dirA = new TempDir();
        using var dirB = new TempDir();
        using var serverA = TlsServer.Start(dirA, fromA);
        using var serverB = TlsServer.Start(dirB, fromB);

        Curl(overlap, "old.example.test", serverA.Port).ExitCode.Should().Be(0, "pods keep trusting leaves of the CA being replaced");
        Curl(overlap, "new.example.test", serverB.Port).ExitCode.Should().Be(0, "pods already trust the CA that will sign next");

        time.Advance(policy.Propagation);
        state = CaRotationPlanner.Advance(state, a, policy, time, null, () => throw new InvalidOperationException()).State;
        time.Advance(policy.LeafRetention);
        state = CaRotationPlanner.Advance(state, b, policy, time, null, () => throw new InvalidOperationException()).State;
        var after = dir.Write("after.crt", TrustBundleBuilder.Build(state.BundleAnchors, "", Randomness.Real()).CaCrt);

        Curl(after, "new.example.test", serverB.Port).ExitCode.Should().Be(0);
        Curl(after, "old.example.test", serverA.Port).ExitCode.Should().Be(60, "the retired CA is no longer trusted");
    }
}
