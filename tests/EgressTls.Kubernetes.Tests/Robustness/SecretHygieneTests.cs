using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Testing;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes.Tests.Robustness;

/// <summary>
/// Secrets hygiene at the Kubernetes layer: the CA key stays in the webhook namespace, no log line or error message
/// carries key material, and namespaces never share a copy in cilium-secrets. A forged copy from another namespace
/// or from the webhook namespace is refused by the applier: ApplierTests.Copied_secret_*.
/// </summary>
public sealed class SecretHygieneTests : IAsyncLifetime
{
    private const string WebhookNamespace = "egress-tls";
    private readonly Dictionary<string, string> clientKeys = new(StringComparer.Ordinal);
    private StandInApiServer server = null!;

    public async Task InitializeAsync()
    {
        server = await StandInApiServer.StartAsync();
        foreach (var ns in new[] { "team-a", "a-b", "a" })
        {
            ComposedAdmission.SeedNamespace(server, ns);
        }

        server.Seed(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "cilium-secrets" } });
        SeedClientSecret("team-a", "client");
        SeedClientSecret("a-b", "c");
        SeedClientSecret("a", "b-c");
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task No_object_outside_the_webhook_namespace_and_no_log_or_message_carries_the_ca_key_or_any_private_key()
    {
        var logs = new CapturedLogs();
        var messages = new List<string>();
        await using (var admission = await StartAsync(logs))
        {
            server.AddFault(Fault.ServerError("apply", "secrets", times: 2));
            server.AddFault(Fault.DropResponse("apply", "ciliumenvoyconfigs"));
            foreach (var annotations in Pods())
            {
                messages.Add((await admission.AdmitAsync(ComposedAdmission.Pod(annotations))).Message);
            }

            server.AddFault(Fault.ServerError("apply", times: 50));
            messages.Add((await admission.AdmitAsync(ComposedAdmission.Pod(new JsonObject { ["egress-tls.io/intercept"] = "failing.example.com" }))).Message);
        }

        var caKey = CaKeyPem();
        var secretsOutside = new[] { "secrets", "configmaps", "ciliumenvoyconfigs", "ciliumnetworkpolicies" }
            .SelectMany(r => server.All(r)).Where(o => (string?)o["metadata"]!["namespace"] != WebhookNamespace).ToList();
        secretsOutside.Should().NotBeEmpty();
        foreach (var obj in secretsOutside)
        {
            var text = Decoded(obj);
            text.Should().NotContain(KeyBody(caKey), $"{obj["kind"]} {obj["metadata"]!["namespace"]}/{obj["metadata"]!["name"]} must not carry the CA key");
        }

        var output = string.Join('\n', logs.Lines.Concat(messages));
        messages.Should().Contain(m => m.Length > 0, "the failing admission produced a message to scan");
        output.Should().NotContain("PRIVATE KEY").And.NotContain(KeyBody(caKey));
        foreach (var key in clientKeys.Values)
        {
            output.Should().NotContain(KeyBody(key)).And.NotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(key)));
        }

        output.Should().NotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(caKey)));
    }

    [Fact]
    public async Task Namespaces_whose_names_join_alike_get_separate_copies_in_cilium_secrets()
    {
        await using var admission = await StartAsync(new CapturedLogs());

        (await admission.AdmitAsync(ComposedAdmission.Pod(Mtls("c"), "a-b"))).Allowed.Should().BeTrue();
        (await admission.AdmitAsync(ComposedAdmission.Pod(Mtls("b-c"), "a"))).Allowed.Should().BeTrue();

        var copies = server.All("secrets", "cilium-secrets")
            .Where(s => (string?)s["type"] == "kubernetes.io/tls")
            .ToDictionary(s => (string)s["metadata"]!["labels"]![Core.Naming.SourceNamespaceLabel]!, s => Decoded(s), StringComparer.Ordinal);
        copies.Keys.Should().BeEquivalentTo("a-b", "a");
        copies["a-b"].Should().Contain(KeyBody(clientKeys["a-b/c"])).And.NotContain(KeyBody(clientKeys["a/b-c"]));
        copies["a"].Should().Contain(KeyBody(clientKeys["a/b-c"])).And.NotContain(KeyBody(clientKeys["a-b/c"]));
    }

    private static JsonObject Mtls(string secret) => new() { ["egress-tls.io/mtls"] = $"db.example.com:5432 cert={secret}" };

    private static IEnumerable<JsonObject> Pods() =>
    [
        new JsonObject { ["egress-tls.io/intercept"] = "github.com, *.github.com" },
        new JsonObject { ["egress-tls.io/mtls"] = "db.example.com:5432 cert=client; 10.0.0.7:443 cert=client verify=false" },
        new JsonObject { ["egress-tls.io/mtls"] = "db.example.com:5432 cert=missing" },
        new JsonObject { ["egress-tls.io/mtls"] = "db.example.com:5432 cert=egress-tls/egress-tls-ca" },
        new JsonObject { ["egress-tls.io/upstream-ca"] = "../egress-tls-ca", ["egress-tls.io/intercept"] = "x.example.com" },
    ];

    private async Task<ComposedAdmission> StartAsync(CapturedLogs logs)
    {
        var shell = await KubernetesShell.StartAsync(KubernetesClientFactory.ForHost(server.Url),
            new KubernetesShellOptions { Retry = ComposedAdmission.FastRetry, DetectCilium = false }, TimeProvider.System, new SecureRandom(), logs.Factory(), CancellationToken.None);
        await shell.Namespaces.WaitForSyncAsync(CancellationToken.None);
        return new ComposedAdmission(shell, new RenderOptions { Cilium = shell.Cilium.Target }, TimeSpan.FromSeconds(4));
    }

    private string CaKeyPem()
    {
        var ca = server.Find("secrets", WebhookNamespace, "egress-tls-ca")!;
        return Encoding.UTF8.GetString(Convert.FromBase64String((string)ca["data"]!["tls.key"]!));
    }

    // 40 characters of a PEM key's base64 body past the ASN.1 header every P-256 key shares: the private scalar,
    // which is what would leak if the key were copied.
    private static string KeyBody(string pem) =>
        string.Concat(pem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)))[50..90];

    // Secret data decoded, so a copied PEM is found whether the object holds it as data (base64) or stringData.
    private static string Decoded(JsonObject obj)
    {
        var text = new StringBuilder(obj.ToJsonString());
        foreach (var (_, value) in (string?)obj["kind"] == "Secret" ? obj["data"]?.AsObject() ?? [] : [])
        {
            text.Append('\n').Append(Encoding.UTF8.GetString(Convert.FromBase64String((string)value!)));
        }

        return text.ToString().Replace("\n", "", StringComparison.Ordinal).Replace("\\n", "", StringComparison.Ordinal);
    }

    private void SeedClientSecret(string ns, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}.{ns}", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var keyPem = key.ExportPkcs8PrivateKeyPem();
        clientKeys[$"{ns}/{name}"] = keyPem;
        server.Seed(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["type"] = "kubernetes.io/tls",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["data"] = new JsonObject
            {
                ["tls.crt"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(cert.ExportCertificatePem())),
                ["tls.key"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(keyPem)),
            },
        });
    }
}
