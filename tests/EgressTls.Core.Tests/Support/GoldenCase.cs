using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Core.Serialization;

namespace EgressTls.Core.Tests.Support;

/// <summary>
/// One case under testdata/&lt;folder&gt; (<c>pods</c>, <c>providers</c>): a YAML stream of an optional
/// <c>kind: RenderCase</c> document (test context: operation, secretsComplete, option overrides), optional
/// Namespace and Secret documents, and the object to render (the last remaining document). For UPDATE, a
/// remaining document before it is the old object (default: the object itself).
/// </summary>
internal sealed record GoldenCase(string Name, RenderInput Input, RenderOptions Options, string Folder = GoldenCase.Pods)
{
    public const string Pods = "pods";

    public static string Directory => DirectoryOf(Pods);

    public static string DirectoryOf(string folder) => Path.Combine(Tools.RepoRoot, "tests", "EgressTls.Core.Tests", "testdata", folder);

    public static IEnumerable<string> Names(string folder = Pods) =>
        System.IO.Directory.GetFiles(DirectoryOf(folder), "*.yaml")
            .Where(f => !f.EndsWith(".golden.yaml", StringComparison.Ordinal))
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Order(StringComparer.Ordinal);

    public string InputPath => Path.Combine(DirectoryOf(Folder), Name + ".yaml");

    public string GoldenPath => Path.Combine(DirectoryOf(Folder), Name + ".golden.yaml");

    public static GoldenCase Load(string name, string folder = Pods)
    {
        var documents = Yaml.ParseStream(File.ReadAllText(Path.Combine(DirectoryOf(folder), name + ".yaml"))).OfType<JsonObject>().ToList();
        var context = documents.FirstOrDefault(d => (string?)d["kind"] == "RenderCase") ?? new JsonObject();
        var namespaceDoc = documents.FirstOrDefault(d => (string?)d["kind"] == "Namespace");
        var secrets = documents.Where(d => (string?)d["kind"] == "Secret").ToList();
        var objects = documents.Where(d => (string?)d["kind"] is not ("RenderCase" or "Namespace" or "Secret")).ToList();
        var obj = objects[^1];

        var nsName = (string?)namespaceDoc?["metadata"]?["name"] ?? (string?)obj["metadata"]?["namespace"] ?? "default";
        var ns = new NamespaceInfo(nsName, Map(namespaceDoc?["metadata"]?["labels"]), Map(namespaceDoc?["metadata"]?["annotations"]));
        var summaries = secrets.ToImmutableDictionary(
            s => (string)s["metadata"]!["name"]!,
            s => new SecretSummary(
                (string)s["metadata"]!["name"]!,
                (string?)s["type"] ?? "Opaque",
                ImmutableSortedSet.CreateRange(
                    StringComparer.Ordinal,
                    new[] { s["data"], s["stringData"] }.OfType<JsonObject>().SelectMany(d => d.Select(kv => kv.Key)))));

        var operation = Enum.Parse<AdmissionOperation>((string?)context["operation"] ?? "CREATE", ignoreCase: true);
        var input = new RenderInput(
            obj,
            operation,
            ns,
            summaries,
            OldObject: operation == AdmissionOperation.Update ? (objects.Count > 1 ? objects[^2] : obj) : null,
            SecretsComplete: context["secretsComplete"] is JsonValue complete && complete.GetValue<bool>());
        return new GoldenCase(name, input, ParseOptions(context["options"] as JsonObject), folder);
    }

    public RenderResult Render() => Render(Input);

    public RenderResult Render(RenderInput input) => Renderer.Render(input, Options);

    private static RenderOptions ParseOptions(JsonObject? overrides)
    {
        var options = new RenderOptions();
        if (overrides is null)
        {
            return options;
        }

        if (overrides["interceptGroups"] is JsonArray groups)
        {
            options = options with
            {
                InterceptGroups = [.. groups.OfType<JsonObject>().Select(g => new InterceptGroup(
                    (string)g["name"]!,
                    [.. (g["hosts"] as JsonArray ?? []).Select(h => (string)h!)],
                    Map(g["namespaceSelector"]?["matchLabels"])))],
            };
        }

        if (overrides["excludedNamespaces"] is JsonArray excluded)
        {
            options = options with { ExcludedNamespaces = [.. excluded.Select(e => (string)e!)] };
        }

        if (overrides["ciliumVersion"] is JsonValue version)
        {
            options = options with { Cilium = options.Cilium with { Version = Version.Parse((string)version!) } };
        }

        if (overrides["clusterwideEnvoyConfig"] is JsonValue clusterwide)
        {
            options = options with { Cilium = options.Cilium with { ClusterwideEnvoyConfig = clusterwide.GetValue<bool>() } };
        }

        if (overrides["notificationControllerSelector"] is JsonObject selector)
        {
            options = options with { FluxNotificationControllerSelector = Map(selector) };
        }

        if (overrides["trustMountPath"] is JsonValue mount)
        {
            options = options with { TrustMountPath = (string)mount! };
        }

        return options;
    }

    private static ImmutableSortedDictionary<string, string> Map(JsonNode? node) =>
        node is JsonObject obj
            ? ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, obj.Select(kv => KeyValuePair.Create(kv.Key, kv.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? (string)v! : kv.Value?.ToJsonString() ?? string.Empty)))
            : ImmutableSortedDictionary<string, string>.Empty;
}
