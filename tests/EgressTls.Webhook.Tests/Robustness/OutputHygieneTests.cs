using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core.Serialization;

namespace EgressTls.Webhook.Tests.Robustness;

/// <summary>
/// Secrets hygiene for `render`: everything it prints (stdout and stderr) is free of key material, with a Secret
/// holding a real private key in the input. Admission never sees Secret data (the reader hands the host a
/// SecretSummary: name, type, keys); the applier's logs and messages, which do handle it, and the CA key:
/// Kubernetes.Tests SecretHygieneTests. TLS 1.2+ only: ServeTlsTests. RBAC verbs and kinds: Chart.Tests RbacTests.
/// </summary>
public sealed class OutputHygieneTests
{
    private static readonly string ClientKey = NewKeyPem();

    [Fact]
    public async Task Render_prints_no_private_key_in_any_encoding_for_valid_and_invalid_pods()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await Cli.RunAsync(["render", "-f", "-"], new StringReader(Manifest()), stdout, stderr, _ => null);

        code.Should().Be(1, "one pod of the manifest is denied, so its error message is scanned too");
        var output = stdout + "\n" + stderr;
        stderr.ToString().Should().Contain("metadata.annotations[egress-tls.io/mtls]");
        Yaml.ParseStream(stdout.ToString()).Should().Contain(d => (string?)d!["kind"] == "CiliumEnvoyConfig");
        AssertNoKey(output);
    }

    private static void AssertNoKey(string output)
    {
        output.Should().NotContain("PRIVATE KEY-----");
        output.Should().NotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(ClientKey))[..40]);
        output.Should().NotContain(Body(ClientKey));
    }

    private static string Body(string pem) =>
        string.Concat(pem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)))[50..90];

    private static string NewKeyPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    private static string Manifest()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = new CertificateRequest("CN=client", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        var secret = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["type"] = "kubernetes.io/tls",
            ["metadata"] = new JsonObject { ["name"] = "client", ["namespace"] = "team-a" },
            ["data"] = new JsonObject
            {
                ["tls.crt"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(cert.ExportCertificatePem())),
                ["tls.key"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(ClientKey)),
            },
            ["stringData"] = new JsonObject { ["extra.key"] = ClientKey },
        };
        JsonObject Pod(string name, string mtls) => new()
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "team-a", ["annotations"] = new JsonObject { ["egress-tls.io/mtls"] = mtls, ["egress-tls.io/intercept"] = "github.com" } },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "busybox" }) },
        };
        return Yaml.WriteStream([secret, Pod("good", "db.example.com:5432 cert=client"), Pod("bad", "db.example.com:5432 cert=Client")]);
    }
}
