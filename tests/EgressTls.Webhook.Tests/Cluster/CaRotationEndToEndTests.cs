using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Kubernetes;
using k8s;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Tests.Support;

namespace EgressTls.Webhook.Tests.Cluster;

/// <summary>
/// CA rotation through `serve` as deployed (Kestrel over TLS, the real client, the stand-in API server): the
/// operator asks for a new CA with the annotation, the running webhook publishes it in the namespace's trust
/// bundle while the old CA keeps signing, and after the propagation time new leaves come from the new CA.
/// </summary>
public sealed class CaRotationEndToEndTests
{
    private static readonly TimeSpan Propagation = TimeSpan.FromHours(24);

    [Fact]
    public async Task A_requested_rotation_is_published_in_the_bundle_first_and_signs_after_propagation()
    {
        await using var host = await ClusterHost.StartAsync(configure: c => c with
        {
            Ca = c.Ca with { Rotation = new CaRotationConfig { Propagation = Propagation, CheckInterval = TimeSpan.FromSeconds(1) } },
        });
        await host.WaitReadyAsync();
        await AdmitAsync(host, "uid-1", "api.github.com");
        var a = Certificate(Data("egress-tls-ca", "tls.crt"));
        Certificates(Bundle(host)).Should().ContainSingle().Which.Thumbprint.Should().Be(a.Thumbprint);

        // The operator asks for a new CA; within a check interval the webhook introduces one.
        Annotate(host, CaStateSecret.RotateAnnotation, "1");
        await UntilAsync(() => Data("egress-tls-ca", "next.crt") is not null);
        var b = Certificate(Data("egress-tls-ca", "next.crt")!);

        // The replica puts the stored state in use right after writing it; the next admission publishes B.
        await UntilAsync(async () =>
        {
            await AdmitAsync(host, "uid-2", "api.github.com");
            return Certificates(Bundle(host)).Count == 2;
        });
        Certificates(Bundle(host)).Select(c => c.Thumbprint).Should().BeEquivalentTo([a.Thumbprint, b.Thumbprint], "B is trusted before it signs");
        Certificate(Leaf(host, "api.github.com")).Issuer.Should().Be(a.Subject, "A signs until B has propagated");

        // After the propagation time the webhook promotes B; a new name set gets a leaf from B.
        host.Clock.Now += Propagation;
        await UntilAsync(() => Certificate(Data("egress-tls-ca", "tls.crt")).Thumbprint == b.Thumbprint);
        await UntilAsync(async () =>
        {
            await AdmitAsync(host, "uid-3", "api.gitlab.com");
            return Leaf(host, "api.gitlab.com") is { } leaf && Certificate(leaf).Issuer == b.Subject;
        });
        Certificates(Bundle(host)).Select(c => c.Thumbprint).Should().BeEquivalentTo([a.Thumbprint, b.Thumbprint], "A stays while leaves it signed may be in use");

        string? Data(string name, string key) =>
            host.Api.Find("secrets", "egress-tls", name)!["data"]![key] is { } v ? Encoding.UTF8.GetString(Convert.FromBase64String((string)v!)) : null;
    }

    private static async Task AdmitAsync(ClusterHost host, string uid, string intercept)
    {
        var response = await ClusterModeTests.PostAsync(host.Server, Reviews.Pod(uid, new JsonObject { ["egress-tls.io/intercept"] = intercept }, ns: "team-a"));
        response["allowed"]!.GetValue<bool>().Should().BeTrue(response.ToJsonString());
    }

    private static string Bundle(ClusterHost host) => (string)host.Api.Find("configmaps", "team-a", "egress-tls-trust-bundle")!["data"]!["ca.crt"]!;

    private static string? Leaf(ClusterHost host, string name) =>
        host.Api.All("secrets", "egress-tls")
            .Where(s => ((string)s["metadata"]!["name"]!).StartsWith("egress-tls-leaf-", StringComparison.Ordinal))
            .Select(s => Encoding.UTF8.GetString(Convert.FromBase64String((string)s["data"]!["tls.crt"]!)))
            .FirstOrDefault(pem => Certificate(pem).GetNameInfo(X509NameType.DnsName, false) == name);

    private static X509Certificate2 Certificate(string? pem) => X509Certificate2.CreateFromPem(pem!);

    private static List<X509Certificate2> Certificates(string pem)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPem(pem);
        return [.. all];
    }

    private static void Annotate(ClusterHost host, string key, string value)
    {
        var client = KubernetesClientFactory.ForHost(host.Api.Url);
        var secret = client.CoreV1.ReadNamespacedSecret("egress-tls-ca", "egress-tls");
        secret.Metadata.Annotations ??= new Dictionary<string, string>();
        secret.Metadata.Annotations[key] = value;
        client.CoreV1.ReplaceNamespacedSecret(secret, "egress-tls-ca", "egress-tls");
    }

    private static Task UntilAsync(Func<bool> condition) => UntilAsync(() => Task.FromResult(condition()));

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the condition did not hold within 30 s");
            }

            await Task.Delay(100);
        }
    }
}
