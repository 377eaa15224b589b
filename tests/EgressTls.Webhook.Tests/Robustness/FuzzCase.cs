using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;

namespace EgressTls.Webhook.Tests.Robustness;

/// <summary>
/// A seeded, reproducible random admission input: a pod (sometimes with its own env, mounts, volumes and init
/// containers), a namespace (sometimes with annotations) and a Cilium target, whose egress-tls annotations are
/// valid fragments mutated by inserting, deleting, duplicating and replacing characters (hostile ones included).
/// The same seed always yields the same case.
/// </summary>
internal sealed record FuzzCase(int Seed, JsonObject Pod, NamespaceInfo Namespace, RenderOptions Options)
{
    private static readonly string[] Keys =
        ["intercept", "intercept-http-rules", "upstream-ca", "mtls", "inject-ca", "ca-system-paths", "other-egress", "intercpt"];

    private static readonly Dictionary<string, string[]> Valid = new()
    {
        ["intercept"] = ["github.com", "*.github.com, api.github.com:8443", "a.example.com,b.example.com:443", "registry.npmjs.org", "x.io:1"],
        ["intercept-http-rules"] = ["[{}]", "[{\"method\":\"GET\",\"path\":\"/repos/.*\"}]", "[{method: POST, headers: [\"X-A: 1\"]}]", "[{\"host\":\"api\\\\.github\\\\.com\"}]"],
        ["upstream-ca"] = ["corp-ca", "ca.v2", "a"],
        ["mtls"] = ["10.0.0.1:443 cert=client", "[2001:db8::1]:8443 cert=c ca=s sni=db.internal", "db.example.com:5432 cert=c verify=false",
            "a.example.com:443 cert=c1; b.example.com:443 cert=c2 ca=s"],
        ["inject-ca"] = ["true", "false"],
        ["ca-system-paths"] = ["true", "false"],
        ["other-egress"] = ["allow", "deny"],
        ["intercpt"] = ["x"],
    };

    // Whole characters only: an unpaired surrogate never reaches the core (/mutate answers 400, see UnpairedSurrogateTests).
    private static readonly string[] Hostile =
        [.. "aZ09.-_*:;,/[]{}\"'\\ \t\n\r\0\u0001\u007f\u00e9\u200b\u202e\ufeff\u2028$#&!|>%@`~=?".Select(c => c.ToString()), "\U0001F600"];

    public static FuzzCase Create(int seed)
    {
        var random = new Random(seed);
        var annotations = new JsonObject();
        foreach (var key in Keys.Where(_ => random.Next(3) == 0 || annotations.Count == 0 && random.Next(2) == 0))
        {
            var value = Pick(random, Valid[key]);
            var mutations = random.Next(4) == 0 ? 0 : random.Next(1, 4);
            for (var m = 0; m < mutations; m++)
            {
                value = Mutate(random, value);
            }

            annotations[$"egress-tls.io/{key}"] = value;
        }

        var container = new JsonObject { ["name"] = "app", ["image"] = "busybox" };
        if (random.Next(4) == 0)
        {
            container["env"] = new JsonArray(new JsonObject { ["name"] = "SSL_CERT_FILE", ["value"] = "/mine.pem" },
                new JsonObject { ["name"] = "JAVA_TOOL_OPTIONS", ["value"] = "-Xmx1g" });
        }

        if (random.Next(4) == 0)
        {
            container["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "certs", ["mountPath"] = random.Next(2) == 0 ? "/etc/ssl/certs" : "/etc/egress-tls/trust" });
        }

        var spec = new JsonObject { ["containers"] = new JsonArray(container) };
        if (random.Next(4) == 0)
        {
            spec["initContainers"] = new JsonArray(new JsonObject { ["name"] = "init~/x", ["image"] = "busybox" });
        }

        if (random.Next(3) == 0)
        {
            spec["volumes"] = new JsonArray(new JsonObject { ["name"] = "certs", ["emptyDir"] = new JsonObject() });
        }

        var labels = new JsonObject { ["app"] = "web" };
        if (random.Next(10) == 0)
        {
            labels["egress-tls.io/enabled"] = random.Next(2) == 0 ? "false" : "true";
        }

        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["generateName"] = "web-", ["namespace"] = "team-a", ["labels"] = labels, ["annotations"] = annotations },
            ["spec"] = spec,
        };

        var nsAnnotations = random.Next(5) == 0
            ? ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/intercept", Mutate(random, "ns.example.com"))])
            : ImmutableSortedDictionary<string, string>.Empty;
        var ns = new NamespaceInfo("team-a",
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/enabled", "true")]), nsAnnotations);
        var version = Pick(random, ["1.14", "1.15", "1.16", "1.17", "1.18"]);
        var options = new RenderOptions
        {
            Cilium = new CiliumTarget
            {
                Version = Version.Parse(version),
                SecretsMode = random.Next(2) == 0 ? SecretsMode.Sds : SecretsMode.Inline,
                ClusterwideEnvoyConfig = random.Next(4) == 0,
            },
        };
        return new FuzzCase(seed, pod, ns, options);
    }

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private static string Mutate(Random random, string value)
    {
        var text = new StringBuilder(value);
        var at = random.Next(text.Length + 1);
        switch (random.Next(6))
        {
            case 0:
                text.Insert(at, Hostile[random.Next(Hostile.Length)]);
                break;
            case 1 when text.Length > 0:
                text.Remove(Math.Min(at, text.Length - 1), 1);
                break;
            case 2:
                var length = random.Next(Math.Max(1, text.Length - at + 1));
                text.Insert(at, value.Substring(Math.Min(at, value.Length), Math.Min(length, value.Length - Math.Min(at, value.Length))));
                break;
            case 3 when text.Length > 0 && !char.IsSurrogate(text[Math.Min(at, text.Length - 1)]):
                var index = Math.Min(at, text.Length - 1);
                text.Remove(index, 1).Insert(index, Hostile[random.Next(Hostile.Length)]);
                break;
            case 4:
                text.Length = Math.Min(text.Length, at);
                break;
            default:
                text.Insert(at, random.Next(3) switch { 0 => ", ", 1 => "; ", _ => "\n" } + value);
                break;
        }

        // A mutation may split a surrogate pair; kube-apiserver (Go) would have turned it into U+FFFD, so do the same.
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                text[i] = '\uFFFD';
            }
        }

        return text.ToString();
    }
}
