using System.Text.Json.Nodes;
using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

/// <summary>certs-scripts: the lab PKI and the HAProxy mTLS backend, driven with curl.</summary>
public sealed class MtlsBackendTests
{
    [Fact]
    public void Backend_refuses_requests_without_a_client_certificate_and_echoes_the_client_dn_with_one()
    {
        Tool.Find("haproxy");
        Tool.Find("python3");
        using var dir = new TempDir();
        PkiScript.Make(dir.Path, "--server-name", "backend.example.test", "--server-ip", "10.9.8.7", "--client-cn", "flux-notifier");
        var port = TlsServer.FreePort();
        var echoPort = TlsServer.FreePort();
        var script = Path.Combine(Repo.Root, "certs-scripts", "mtls-backend.sh");
        string[] common = ["--pki", dir.Path, "--port", port.ToString(), "--echo-port", echoPort.ToString()];
        var start = Tool.Run("bash", [script, "start", .. common]);
        start.ExitCode.Should().Be(0, start.All);
        try
        {
            File.Exists(Path.Combine(dir.Path, "backend", "haproxy.pid")).Should().BeTrue();
            var url = $"https://backend.example.test:{port}/notify?x=1";
            string[] curl = ["-sS", "--max-time", "20", "--cacert", dir.File("ca.crt"), "--resolve", $"backend.example.test:{port}:127.0.0.1"];

            var without = Tool.Run("curl", [.. curl, url]);
            without.ExitCode.Should().NotBe(0);
            without.Stderr.Should().Contain("certificate required");

            var stranger = Fixtures.Ca();
            var strangerLeaf = LeafIssuer.Issue(stranger, Fixtures.Request("intruder"), TimeProvider.System, Randomness.Real());
            var wrongCa = Tool.Run("curl", [.. curl, "--cert", dir.Write("x.crt", strangerLeaf.TlsCrt), "--key", dir.Write("x.key", strangerLeaf.TlsKey), url]);
            wrongCa.ExitCode.Should().NotBe(0, "a client certificate from another CA must be refused");

            var with = Tool.Run("curl", [.. curl, "--cert", dir.File("client.crt"), "--key", dir.File("client.key"), "-X", "POST", "-d", "hi", url]);
            with.ExitCode.Should().Be(0, with.All);
            var echo = JsonNode.Parse(with.Stdout)!;
            echo["method"]!.GetValue<string>().Should().Be("POST");
            echo["path"]!.GetValue<string>().Should().Be("/notify?x=1");
            echo["body"]!.GetValue<string>().Should().Be("hi");
            var headers = echo["headers"]!;
            headers["X-Ssl-Client-Dn"]!.GetValue<string>().Should().Be("/O=egress-tls lab/CN=flux-notifier");
            headers["X-Ssl-Client-Cn"]!.GetValue<string>().Should().Be("flux-notifier");
            headers["X-Ssl-Client-Verify"]!.GetValue<string>().Should().Be("0");
            headers["X-Ssl-Issuer"]!.GetValue<string>().Should().Be("/O=egress-tls lab/CN=egress-tls lab Intermediate CA");

            // The server certificate carries the requested IP SAN (the lab reaches HAProxy by IP).
            var text = Tool.Ok("openssl", "x509", "-in", dir.File("server.crt"), "-noout", "-ext", "subjectAltName");
            text.Should().Contain("IP Address:10.9.8.7").And.Contain("DNS:backend.example.test").And.Contain("DNS:localhost");
        }
        finally
        {
            Tool.Run("bash", [script, "stop", .. common]);
        }

        File.Exists(Path.Combine(dir.Path, "backend", "haproxy.pid")).Should().BeFalse();
        Tool.Run("bash", [script, "status", .. common]).ExitCode.Should().NotBe(0);
    }

    [Fact]
    public void Pki_script_refuses_unknown_key_algorithms_naming_the_accepted_ones()
    {
        using var dir = new TempDir();
        var r = Tool.Run("bash", Path.Combine(Repo.Root, "certs-scripts", "make-pki.sh"), dir.Path, "--key-algorithm", "dsa");
        r.ExitCode.Should().Be(2);
        r.Stderr.Should().Contain("\"dsa\" is not a key algorithm; expected one of ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096");
    }

    [Fact]
    public void Pki_script_accepts_a_server_name_longer_than_64_characters_in_the_SANs_only()
    {
        // Load balancer names often exceed ub-common-name (64): openssl refuses such a CN, clients match the SANs.
        const string name = "internal-my-backend-service-1234567890.eu-central-1.elb.amazonaws.com";
        using var dir = new TempDir();
        PkiScript.Make(dir.Path, "--server-name", name);

        var leaf = dir.Write("server-leaf.crt", Pem.Encode("CERTIFICATE", Pem.Blocks(File.ReadAllText(dir.File("server.crt")))[0].Der!));
        Tool.Ok("openssl", "x509", "-in", leaf, "-noout", "-ext", "subjectAltName").Should().Contain($"DNS:{name}");
        Tool.Ok("openssl", "x509", "-in", leaf, "-noout", "-subject").Should().NotContain("CN");
        Tool.Ok("openssl", "verify", "-purpose", "sslserver", "-verify_hostname", name, "-CAfile", dir.File("ca.crt"),
            "-untrusted", dir.File("intermediate-ca.crt"), leaf).Should().Contain(": OK");
    }

    [Fact]
    public void Pki_script_refuses_a_client_common_name_longer_than_64_characters_before_writing_anything()
    {
        using var dir = new TempDir();
        var r = Tool.Run("bash", Path.Combine(Repo.Root, "certs-scripts", "make-pki.sh"), dir.Path, "--client-cn", new string('c', 65));
        r.ExitCode.Should().Be(2);
        r.Stderr.Should().Contain("--client-cn \"" + new string('c', 65) + "\" is longer than 64 characters (the X.509 limit for a common name)");
        Directory.EnumerateFileSystemEntries(dir.Path).Should().BeEmpty();
    }
}
