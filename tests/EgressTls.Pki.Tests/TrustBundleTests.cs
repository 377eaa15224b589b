using System.Text.RegularExpressions;
using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

public sealed class TrustBundleTests
{
    [Fact]
    public void Bundle_dedupes_sorts_public_roots_and_keeps_our_anchors_last_in_order()
    {
        var current = Fixtures.Ca(seed: 1);
        var previous = Fixtures.Ca(seed: 2);
        var r1 = Fixtures.Ca(seed: 3).Certificate;
        var r2 = Fixtures.Ca(seed: 4).Certificate;
        var roots = "# comment line\n\n" + Pem.EncodeCertificates([r2, r1]) + "subject=something\n" + Pem.EncodeCertificates([r1])
                    + "-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n" // decodes as base64 but is no certificate
                    + Pem.EncodeCertificates([previous.Certificate]); // one of ours also among the roots

        var b = TrustBundleBuilder.Build([current.TrustAnchor, previous.TrustAnchor, current.TrustAnchor], roots, Randomness.Seeded(1));

        b.CaCrt.Should().Be(Pem.EncodeCertificates([current.Certificate, previous.Certificate]));
        var rootsSorted = new[] { r1, r2 }.OrderBy(c => Fingerprint(c), StringComparer.Ordinal).ToList();
        b.CaBundleCrt.Should().Be(Pem.EncodeCertificates([.. rootsSorted, current.Certificate, previous.Certificate]));
        b.Fingerprints.Should().HaveCount(4).And.OnlyHaveUniqueItems();
        b.UnreadableRoots.Should().Be(1);
    }

    [Fact]
    public void Same_inputs_and_random_bytes_give_identical_output()
    {
        var ca = Fixtures.Ca();
        var roots = Fixtures.PublicRoots;
        var a = TrustBundleBuilder.Build([ca.TrustAnchor], roots, Randomness.Seeded(5));
        var b = TrustBundleBuilder.Build([ca.TrustAnchor], roots, Randomness.Seeded(5));
        var c = TrustBundleBuilder.Build([ca.TrustAnchor], roots, Randomness.Seeded(6));

        b.CaCrt.Should().Be(a.CaCrt);
        b.CaBundleCrt.Should().Be(a.CaBundleCrt);
        b.TruststoreP12.SequenceEqual(a.TruststoreP12).Should().BeTrue();
        c.CaBundleCrt.Should().Be(a.CaBundleCrt);
        c.TruststoreP12.Length.Should().Be(a.TruststoreP12.Length);
        c.TruststoreP12.SequenceEqual(a.TruststoreP12).Should().BeFalse("the MAC salt comes from the random source");
    }

    [Fact]
    public void Keytool_lists_every_certificate_as_a_trusted_entry()
    {
        using var dir = new TempDir();
        var ca = Fixtures.Ca();
        var b = TrustBundleBuilder.Build([ca.TrustAnchor], Fixtures.PublicRoots, Randomness.Real());
        var p12 = dir.Write("truststore.p12", [.. b.TruststoreP12]);

        var list = Tool.Ok("keytool", "-list", "-storetype", "PKCS12", "-storepass", "changeit", "-keystore", p12);

        b.Fingerprints.Length.Should().BeGreaterThan(100, "the machine's public roots plus our CA");
        list.Should().Contain($"Your keystore contains {b.Fingerprints.Length} entries");
        Regex.Matches(list, "trustedCertEntry").Count.Should().Be(b.Fingerprints.Length);
        list.Should().Contain("egress-tls-" + ca.Fingerprint[..16]);

        var wrongPassword = Tool.Run("keytool", "-list", "-storetype", "PKCS12", "-storepass", "wrong-password", "-keystore", p12);
        wrongPassword.ExitCode.Should().NotBe(0, "the MAC must be checked");

        var openssl = Tool.Ok("openssl", "pkcs12", "-in", p12, "-passin", "pass:changeit", "-nokeys");
        Regex.Matches(openssl, "BEGIN CERTIFICATE").Count.Should().Be(b.Fingerprints.Length);
    }

    [Fact]
    public void Java_trusts_the_intercepting_leaf_only_with_the_truststore()
    {
        using var dir = new TempDir();
        var ca = Fixtures.Ca();
        var leaf = LeafIssuer.Issue(ca, Fixtures.Request("localhost"), TimeProvider.System, Randomness.Real());
        var b = TrustBundleBuilder.Build([ca.TrustAnchor], Fixtures.PublicRoots, Randomness.Real());
        var p12 = dir.Write("truststore.p12", [.. b.TruststoreP12]);
        var main = dir.Write("Main.java", """
            import java.net.URI;
            import javax.net.ssl.HttpsURLConnection;

            public class Main {
                public static void main(String[] args) throws Exception {
                    HttpsURLConnection c = (HttpsURLConnection) URI.create(args[0]).toURL().openConnection();
                    c.setConnectTimeout(15000);
                    c.setReadTimeout(15000);
                    System.out.println("status " + c.getResponseCode());
                }
            }
            """);
        using var server = TlsServer.Start(dir, leaf);
        var url = $"https://localhost:{server.Port}/";

        var trusted = Tool.Run("java", $"-Djavax.net.ssl.trustStore={p12}", "-Djavax.net.ssl.trustStoreType=PKCS12",
            "-Djavax.net.ssl.trustStorePassword=changeit", main, url);
        trusted.ExitCode.Should().Be(0, trusted.All);
        trusted.Stdout.Should().Contain("status 200");

        var untrusted = Tool.Run("java", main, url);
        untrusted.ExitCode.Should().NotBe(0);
        untrusted.All.Should().Contain("PKIX path building failed");
    }

    private static string Fingerprint(Org.BouncyCastle.X509.X509Certificate c) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(c.GetEncoded()));
}
