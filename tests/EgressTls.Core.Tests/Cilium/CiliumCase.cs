using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Cilium;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;
using EgressTls.Core.Serialization;

namespace EgressTls.Core.Tests.Cilium;

/// <summary>
/// One golden case of the Cilium generator: <c>testdata/cilium/&lt;name&gt;.yaml</c> describes the profile
/// and the options (a test-only format, below), <c>&lt;name&gt;.golden.yaml</c> holds the expected output.
/// <code>
/// description: free text
/// options:                      # every key optional; defaults are RenderOptions' defaults
///   webhookNamespace: egress-tls
///   cilium: {version: "1.17", secretsMode: sds|inline, envoySecretsNamespace: .., policySecretsNamespace: .., clusterwideEnvoyConfig: false}
/// profile:
///   namespace: team-a
///   id: p1                      # also the default pod selector egress-tls.io/profile=&lt;id&gt;
///   podSelector: {app: x}       # optional
///   otherEgress: allow|deny     # default allow
///   intercept: {hosts: ["github.com", "*.github.com:8443"], httpRules: [{method, path, host, headers}], upstreamCaSecret: x}
///   mtls: [{destination: "172.18.0.4:8083", cert: s, ca: s, sni: s, verify: true}]
/// </code>
/// </summary>
internal sealed record CiliumCase(string Name, EgressProfile Profile, RenderOptions Options)
{
    public static string Directory { get; } = Path.Combine(TestPaths.ProjectDirectory, "testdata", "cilium");

    public static IEnumerable<string> Names() =>
        System.IO.Directory.EnumerateFiles(Directory, "*.yaml")
            .Where(f => !f.EndsWith(".golden.yaml", StringComparison.Ordinal))
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Order(StringComparer.Ordinal);

    public string GoldenPath => Path.Combine(Directory, Name + ".golden.yaml");

    public static CiliumCase Load(string name)
    {
        var root = Yaml.Parse(File.ReadAllText(Path.Combine(Directory, name + ".yaml")))!.AsObject();
        return new CiliumCase(name, ParseProfile(root["profile"]!.AsObject()), ParseOptions(root["options"] as JsonObject));
    }

    public CiliumGeneration Generate() => CiliumObjects.Generate(Profile, Options);

    /// <summary>The generated manifests as a YAML stream, then one document with the Secret contents,
    /// warnings and errors (it has no kind, so the conformance checker passes over it).</summary>
    public static string Write(CiliumGeneration generation)
    {
        var documents = new List<JsonNode?>();
        var contents = new JsonArray();
        foreach (var o in generation.Objects)
        {
            documents.Add(o.Manifest.DeepClone());
            if (o.Content is not null)
            {
                contents.Add(new JsonObject
                {
                    ["object"] = $"{o.Kind} {(o.Namespace is null ? "" : o.Namespace + "/")}{o.Name}",
                    ["content"] = Describe(o.Content),
                });
            }
        }

        documents.Add(new JsonObject
        {
            ["generation"] = new JsonObject
            {
                ["contents"] = contents,
                ["warnings"] = new JsonArray([.. generation.Warnings.Select(w => (JsonNode)JsonValue.Create(w))]),
                ["errors"] = new JsonArray([.. generation.Errors.Select(e => (JsonNode)JsonValue.Create(e.ToString()))]),
            },
        });
        return Yaml.WriteStream(documents);
    }

    private static JsonObject Describe(ObjectContent content) => content switch
    {
        LeafCertificateContent leaf => new JsonObject
        {
            ["leafCertificate"] = new JsonObject
            {
                ["dnsNames"] = Strings(leaf.DnsNames),
                ["ipAddresses"] = Strings(leaf.IpAddresses),
            },
        },
        CopiedSecretContent copy => new JsonObject
        {
            ["copiedSecret"] = new JsonObject
            {
                ["sourceNamespace"] = copy.SourceNamespace,
                ["sourceName"] = copy.SourceName,
                ["keys"] = Strings(copy.Keys),
            },
        },
        CaOnlyContent ca => new JsonObject
        {
            ["caOnly"] = ca.SourceName is null
                ? new JsonObject { ["publicRoots"] = true }
                : new JsonObject { ["sourceNamespace"] = ca.SourceNamespace, ["sourceName"] = ca.SourceName },
        },
        _ => new JsonObject { ["other"] = content.GetType().Name },
    };

    private static JsonArray Strings(ImmutableArray<string> values) =>
        new([.. (values.IsDefault ? [] : values).Select(v => (JsonNode)JsonValue.Create(v))]);

    private static RenderOptions ParseOptions(JsonObject? node)
    {
        var options = new RenderOptions();
        if (node is null)
        {
            return options;
        }

        if (Text(node["webhookNamespace"]) is { } webhookNamespace)
        {
            options = options with { WebhookNamespace = webhookNamespace };
        }

        if (node["cilium"] is JsonObject cilium)
        {
            var target = options.Cilium;
            if (Text(cilium["version"]) is { } version)
            {
                target = target with { Version = Version.Parse(version) };
            }

            if (Text(cilium["secretsMode"]) is { } mode)
            {
                target = target with { SecretsMode = Enum.Parse<SecretsMode>(mode, ignoreCase: true) };
            }

            if (Text(cilium["envoySecretsNamespace"]) is { } envoyNs)
            {
                target = target with { EnvoySecretsNamespace = envoyNs };
            }

            if (Text(cilium["policySecretsNamespace"]) is { } policyNs)
            {
                target = target with { PolicySecretsNamespace = policyNs };
            }

            if (cilium["clusterwideEnvoyConfig"] is JsonValue clusterwide)
            {
                target = target with { ClusterwideEnvoyConfig = clusterwide.GetValue<bool>() };
            }

            options = options with { Cilium = target };
        }

        return options;
    }

    private static EgressProfile ParseProfile(JsonObject node)
    {
        var ns = Text(node["namespace"])!;
        var id = Text(node["id"])!;
        var selector = node["podSelector"] is JsonObject labels
            ? labels.ToImmutableSortedDictionary(kv => kv.Key, kv => Text(kv.Value)!, StringComparer.Ordinal)
            : ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Naming.ProfileLabel, id)]);
        var other = Text(node["otherEgress"]) is { } text ? Enum.Parse<OtherEgress>(text, ignoreCase: true) : OtherEgress.Allow;

        InterceptSpec? intercept = null;
        if (node["intercept"] is JsonObject i)
        {
            var hosts = i["hosts"]!.AsArray().Select(h => ParseHostPort(Text(h)!, 443)).Distinct().Order().ToImmutableArray();
            ImmutableArray<HttpRule>? rules = i["httpRules"] is JsonArray array
                ? [.. array.Select(r => new HttpRule(Text(r!["method"]), Text(r["path"]), Text(r["host"]),
                    r["headers"] is JsonArray headers ? [.. headers.Select(h => Text(h)!)] : ImmutableArray<string>.Empty))]
                : null;
            intercept = new InterceptSpec(hosts, rules, Text(i["upstreamCaSecret"]));
        }

        var mtls = node["mtls"] is JsonArray list
            ? list.Select(m => new MtlsDestination(
                    ParseHostPort(Text(m!["destination"])!, null),
                    Text(m["cert"])!,
                    Text(m["ca"]),
                    Text(m["sni"]),
                    m["verify"] is JsonValue verify ? verify.GetValue<bool>() : true))
                .OrderBy(m => m.Destination).ToImmutableArray()
            : ImmutableArray<MtlsDestination>.Empty;

        return new EgressProfile(ns, intercept, mtls, other, selector, id);
    }

    /// <summary><c>host[:port]</c> with IPv6 in brackets, as the annotations write it.</summary>
    public static HostPort ParseHostPort(string text, int? defaultPort)
    {
        string host;
        string? port = null;
        if (text.StartsWith('['))
        {
            var end = text.IndexOf(']', StringComparison.Ordinal);
            host = text[1..end];
            if (end + 1 < text.Length)
            {
                port = text[(end + 2)..];
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            host = colon < 0 ? text : text[..colon];
            port = colon < 0 ? null : text[(colon + 1)..];
        }

        var number = port is null ? defaultPort ?? throw new FormatException($"{text}: port required") : int.Parse(port, System.Globalization.CultureInfo.InvariantCulture);
        return new HostPort(host.ToLowerInvariant(), number);
    }

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => throw new FormatException($"expected a scalar, found {node.ToJsonString()}"),
    };
}
