using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;
using EgressTls.Core.Serialization;
using EgressTls.Webhook.Admission;
using EgressTls.Webhook.CommandLine;
using EgressTls.Webhook.Configuration;

namespace EgressTls.Webhook.Rendering;

/// <summary>
/// <c>egress-tls render -f FILE|-</c>: what the webhook would do to the Pods and pod templates of a
/// manifest, offline. Namespaces and Secrets in the input are the context, as the cluster's would be.
/// </summary>
internal static class RenderCommand
{
    public const string Usage = """
        usage: egress-tls render -f FILE|- [--namespace NS] [--config FILE] [--cilium-version 1.17] [--secrets-mode auto|sds|inline]

        Prints, as a YAML stream, every object of the input in order (Pods and the pod templates of
        Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs as the webhook would mutate
        them; Secrets omitted), followed by every object egress-tls would create. Never contacts a cluster.

          -f, --filename FILE   YAML or JSON manifest (a stream, or a List); - reads stdin
          -n, --namespace NS    namespace of objects without metadata.namespace (default: default)
          --config FILE         the serve configuration (cilium, namespace, trust bundle settings)
          --cilium-version V    target Cilium 1.14 to 1.18 (overrides the configuration; default 1.17)
          --secrets-mode M      auto (from the version), sds or inline (overrides the configuration)
          -h, --help            show this help

        Namespaces and Secrets in the input act as context. A namespace not in the input is assumed to
        be opted in (label egress-tls.io/enabled=true); a referenced Secret not in the input is assumed to
        exist (noted on stderr). Secret data is never printed: generated Secrets show what the webhook
        would put in them (annotation render.egress-tls.io/content).
        Warnings and errors go to stderr, prefixed with the object. Exit codes: 0 rendered, 1 invalid
        input or an object denied, 2 usage or configuration error.
        """;

    /// <summary>Annotation describing the data the webhook fills into a generated Secret or ConfigMap.</summary>
    public const string ContentAnnotation = "render.egress-tls.io/content";

    /// <summary>Deepest Pod or Provider the webhook admits: its AdmissionReview may nest
    /// <see cref="AdmissionReviewReader.MaxDepth"/> levels and holds the object two levels down
    /// (<c>request.object</c>). Manifests may nest deeper (<see cref="Yaml.MaxDepth"/>), so <c>render</c>
    /// refuses a deeper object as the webhook would, rather than hand the core an object it never sees.</summary>
    public const int AdmittedMaxDepth = AdmissionReviewReader.MaxDepth - 2;

    public static async Task<int> RunAsync(
        IReadOnlyList<string> args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        var parsed = ParsedArguments.Parse(
            args,
            new Dictionary<string, string>
            {
                ["--filename"] = "the path of a manifest file, or - for standard input",
                ["--namespace"] = "a namespace name",
                ["--config"] = "the path of a JSON configuration file",
                ["--cilium-version"] = "a Cilium version from 1.14 to 1.18, such as 1.17",
                ["--secrets-mode"] = "auto, sds or inline",
            },
            new HashSet<string> { "--help" },
            new Dictionary<string, string> { ["-f"] = "--filename", ["-n"] = "--namespace", ["-h"] = "--help", ["-c"] = "--config" });
        if (parsed.Has("--help"))
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return 0;
        }

        var file = parsed.Get("--filename") ?? throw new UsageException("-f FILE (or -f - for stdin) is required");
        RenderOptions options;
        try
        {
            options = Options(parsed, environment);
        }
        catch (ConfigException ex)
        {
            await stderr.WriteLineAsync($"egress-tls render: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        string text;
        try
        {
            text = file == "-" ? await stdin.ReadToEndAsync().ConfigureAwait(false) : await File.ReadAllTextAsync(file).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: cannot read {file}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        IReadOnlyList<JsonObject> objects;
        try
        {
            objects = ManifestReader.Read(text, file == "-" ? "stdin" : file);
        }
        catch (ManifestException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        var session = new RenderSession(options, parsed.Get("--namespace") ?? "default", objects);
        var output = session.Run();
        await stdout.WriteAsync(Yaml.WriteStream(output)).ConfigureAwait(false);
        foreach (var line in session.Messages)
        {
            await stderr.WriteLineAsync(line).ConfigureAwait(false);
        }

        return session.Failed ? 1 : 0;
    }

    private static RenderOptions Options(ParsedArguments parsed, Func<string, string?> environment)
    {
        var config = ConfigLoader.Load(parsed.Get("--config"), environment, checkServerFiles: false);
        if (parsed.Get("--cilium-version") is { } version)
        {
            if (!ConfigLoader.TryParseCiliumVersion(version, out _))
            {
                throw new UsageException($"--cilium-version: \"{version}\" is not a supported Cilium version; expected 1.14 to 1.18");
            }

            config = config with { Cilium = config.Cilium with { Version = version } };
        }

        if (parsed.Get("--secrets-mode") is { } mode)
        {
            if (mode is not ("auto" or "sds" or "inline"))
            {
                throw new UsageException($"--secrets-mode: \"{mode}\"; expected auto, sds or inline");
            }

            config = config with { Cilium = config.Cilium with { SecretsMode = mode } };
        }

        return RenderOptionsFactory.Create(config);
    }

    /// <summary>One run over the input objects: the context, the rendered output, the messages.</summary>
    private sealed class RenderSession(RenderOptions options, string defaultNamespace, IReadOnlyList<JsonObject> objects)
    {
        private readonly Dictionary<string, NamespaceInfo> namespaces = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Dictionary<string, SecretSummary>> secrets = new(StringComparer.Ordinal);
        private readonly HashSet<string> noted = new(StringComparer.Ordinal);
        private readonly List<GeneratedObject> generated = [];
        private readonly Dictionary<string, GeneratedObject> generatedByKey = new(StringComparer.Ordinal);

        public List<string> Messages { get; } = [];

        public bool Failed { get; private set; }

        public List<JsonNode?> Run()
        {
            foreach (var obj in objects)
            {
                Collect(obj);
            }

            var output = new List<JsonNode?>();
            foreach (var obj in objects)
            {
                if (IsKind(obj, "v1", "Secret"))
                {
                    continue;
                }

                output.Add(RenderObject(obj));
            }

            output.AddRange(generated.Select(Printable));
            return output;
        }

        private void Collect(JsonObject obj)
        {
            if (IsKind(obj, "v1", "Namespace") && Metadata(obj, "name") is { Length: > 0 } nsName)
            {
                namespaces[nsName] = new NamespaceInfo(nsName, StringMap(obj["metadata"]?["labels"]), StringMap(obj["metadata"]?["annotations"]));
            }
            else if (IsKind(obj, "v1", "Secret") && Metadata(obj, "name") is { Length: > 0 } secretName)
            {
                var ns = NamespaceOf(obj);
                var keys = ImmutableSortedSet.CreateRange(StringComparer.Ordinal,
                    Keys(obj["data"]).Concat(Keys(obj["stringData"])));
                var type = ManifestReader.Text(obj["type"]) ?? "Opaque";
                if (!secrets.TryGetValue(ns, out var byName))
                {
                    secrets[ns] = byName = new Dictionary<string, SecretSummary>(StringComparer.Ordinal);
                }

                byName[secretName] = new SecretSummary(secretName, type, keys);
            }
        }

        private JsonNode RenderObject(JsonObject obj)
        {
            var apiVersion = ManifestReader.Text(obj["apiVersion"])!;
            var kind = ManifestReader.Text(obj["kind"])!;
            var label = Label(obj);
            // Pods and Flux Providers are admitted as themselves; workloads through their pod template.
            if (IsKind(obj, "v1", "Pod") || IsFluxProvider(apiVersion, kind))
            {
                var pod = (JsonObject)obj.DeepClone();
                if (Metadata(pod, "namespace") is not { Length: > 0 })
                {
                    EnsureMetadata(pod)["namespace"] = NamespaceOf(obj);
                }

                var result = RenderAdmitted(pod, label);
                if (result is null)
                {
                    return obj.DeepClone();
                }

                var patched = (JsonObject)JsonPatch.Apply(pod, result)!;
                if (Metadata(obj, "namespace") is not { Length: > 0 })
                {
                    ((JsonObject)patched["metadata"]!).Remove("namespace");
                }

                return patched;
            }

            if (PodTemplates.TemplatePath(apiVersion, kind) is { } path && PodTemplates.Find(obj, path) is { } template)
            {
                var podFromTemplate = PodTemplates.ToPod(template, Metadata(obj, "name") ?? kind.ToLowerInvariant(), NamespaceOf(obj));
                var result = RenderAdmitted(podFromTemplate, label);
                if (result is null)
                {
                    return obj.DeepClone();
                }

                var patched = (JsonObject)JsonPatch.Apply(podFromTemplate, result)!;
                return PodTemplates.WithTemplateFrom(obj, path, patched);
            }

            return obj.DeepClone();
        }

        // The patch to apply to a Pod or Provider, or null when the object stays unchanged.
        private ImmutableArray<Core.Patching.PatchOperation>? RenderAdmitted(JsonObject pod, string label)
        {
            if (Depth(pod) is var depth && depth > AdmittedMaxDepth)
            {
                Failed = true;
                Messages.Add($"error: {label}: the object nests {depth} levels deep, which the webhook refuses (its AdmissionReview may nest {AdmissionReviewReader.MaxDepth}); expected at most {AdmittedMaxDepth} levels");
                return null;
            }

            var nsName = Metadata(pod, "namespace")!;
            var ns = Namespace(nsName);
            var present = secrets.GetValueOrDefault(nsName) ?? [];
            foreach (var name in Renderer.ReferencedSecretNames(pod, ns, options))
            {
                if (!present.ContainsKey(name) && noted.Add($"secret/{nsName}/{name}"))
                {
                    Messages.Add($"note: {label}: Secret {nsName}/{name} is not in the input; assuming it exists with the expected type and keys");
                }
            }

            var input = new RenderInput(pod, AdmissionOperation.Create, ns, present.ToImmutableDictionary(StringComparer.Ordinal), SecretsComplete: false);
            switch (Renderer.Render(input, options))
            {
                case Skipped skipped:
                    Messages.Add($"info: {label}: unchanged ({skipped.Reason}: {skipped.Detail})");
                    return null;
                case Rejected rejected:
                    Failed = true;
                    Messages.AddRange(rejected.Errors.Select(e => $"error: {label}: {e}"));
                    return null;
                case Mutated mutated:
                    Messages.AddRange(mutated.Warnings.Select(w => $"warning: {label}: {w}"));
                    foreach (var obj in mutated.Objects)
                    {
                        AddGenerated(obj, label);
                    }

                    return mutated.Patch;
                case var other:
                    throw new InvalidOperationException($"unexpected render result {other.GetType().Name}");
            }
        }

        private void AddGenerated(GeneratedObject obj, string label)
        {
            var key = $"{obj.ApiVersion}|{obj.Kind}|{obj.Namespace}|{obj.Name}";
            if (generatedByKey.TryGetValue(key, out var existing))
            {
                if (!JsonNode.DeepEquals(existing.Manifest, obj.Manifest) && noted.Add("differs/" + key))
                {
                    Messages.Add($"warning: {label}: generated {obj.Kind} {obj.Namespace}/{obj.Name} differs from the one generated earlier; printing the first");
                }

                return;
            }

            generatedByKey[key] = obj;
            generated.Add(obj);
        }

        // Levels of mappings and sequences in the object, counted without recursion.
        private static int Depth(JsonNode root)
        {
            var deepest = 0;
            var pending = new Stack<(JsonNode? Node, int Depth)>();
            pending.Push((root, 1));
            while (pending.TryPop(out var item))
            {
                if (item.Node is not (JsonObject or JsonArray))
                {
                    continue;
                }

                deepest = Math.Max(deepest, item.Depth);
                foreach (var child in item.Node is JsonObject obj ? obj.Select(p => p.Value) : item.Node.AsArray())
                {
                    pending.Push((child, item.Depth + 1));
                }
            }

            return deepest;
        }

        private NamespaceInfo Namespace(string name)
        {
            if (namespaces.TryGetValue(name, out var info))
            {
                return info;
            }

            if (noted.Add("namespace/" + name))
            {
                Messages.Add($"note: namespace {name} is not in the input; assuming it is opted in ({Naming.EnabledLabel}=true) with no annotations");
            }

            info = new NamespaceInfo(
                name,
                ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Naming.EnabledLabel, "true")]),
                ImmutableSortedDictionary<string, string>.Empty);
            namespaces[name] = info;
            return info;
        }

        private string NamespaceOf(JsonObject obj) => Metadata(obj, "namespace") is { Length: > 0 } ns ? ns : defaultNamespace;

        private string Label(JsonObject obj)
        {
            var kind = ManifestReader.Text(obj["kind"]);
            var name = Metadata(obj, "name") is { Length: > 0 } n ? n : (Metadata(obj, "generateName") ?? "") + "*";
            return $"{kind} {NamespaceOf(obj)}/{name}";
        }

        private static JsonObject Printable(GeneratedObject obj)
        {
            var manifest = (JsonObject)obj.Manifest.DeepClone();

            // Defence in depth: whatever a manifest carries, render prints no Secret or ConfigMap data.
            manifest.Remove("data");
            manifest.Remove("stringData");
            manifest.Remove("binaryData");
            if (obj.Content is { } content)
            {
                var metadata = EnsureMetadata(manifest);
                if (metadata["annotations"] is not JsonObject annotations)
                {
                    metadata["annotations"] = annotations = new JsonObject();
                }

                annotations[ContentAnnotation] = Describe(content);
            }

            return manifest;
        }

        private static string Describe(ObjectContent content) => content switch
        {
            LeafCertificateContent leaf =>
                $"tls.crt and tls.key: a certificate from the egress-tls CA for {string.Join(", ", leaf.DnsNames.Concat(leaf.IpAddresses))} (issued by the webhook)",
            CopiedSecretContent copy =>
                $"{string.Join(" and ", copy.Keys)} copied from Secret {copy.SourceNamespace}/{copy.SourceName} (by the webhook)",
            CaOnlyContent { SourceName: null } => "ca.crt: the public root CAs (written by the webhook)",
            CaOnlyContent ca => $"ca.crt copied from Secret {ca.SourceNamespace}/{ca.SourceName} (by the webhook)",
            TrustBundleContent => "ca.crt (egress-tls CA), ca-bundle.crt (public roots and the CA), truststore.p12 (maintained by the webhook)",
            _ => content.GetType().Name,
        };

        private static JsonObject EnsureMetadata(JsonObject obj)
        {
            if (obj["metadata"] is not JsonObject metadata)
            {
                obj["metadata"] = metadata = new JsonObject();
            }

            return metadata;
        }

        private static bool IsFluxProvider(string apiVersion, string kind) =>
            kind == "Provider" && apiVersion is "notification.toolkit.fluxcd.io/v1beta3" or "notification.toolkit.fluxcd.io/v1beta2";

        private static bool IsKind(JsonObject obj, string apiVersion, string kind) =>
            ManifestReader.Text(obj["apiVersion"]) == apiVersion && ManifestReader.Text(obj["kind"]) == kind;

        private static string? Metadata(JsonObject obj, string field) => ManifestReader.Text(obj["metadata"]?[field]);

        private static IEnumerable<string> Keys(JsonNode? node) => node is JsonObject obj ? obj.Select(p => p.Key) : [];

        // Labels and annotations are strings in Kubernetes; a YAML scalar written unquoted is read as its text.
        private static ImmutableSortedDictionary<string, string> StringMap(JsonNode? node)
        {
            var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            if (node is JsonObject obj)
            {
                foreach (var (key, value) in obj)
                {
                    if (value is JsonValue v)
                    {
                        builder[key] = v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();
                    }
                }
            }

            return builder.ToImmutable();
        }
    }
}
