using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using EgressTls.Core.Serialization;
using EgressTls.Webhook.Tests.Support;
using Serilog.Events;

namespace EgressTls.Webhook.Tests.Robustness;

/// <summary>
/// Every case of <c>tests/corpus/admission</c> (malformed and hostile input) through the real /mutate endpoint over TLS, and every
/// annotation case through <c>render</c>. Failures are collected so one run names every broken case.
/// </summary>
public sealed class CorpusTests : IAsyncLifetime
{
    private readonly TempDirectory dir = new();
    private readonly X509Certificate2 cert = TestCertificate.Create("corpus");
    private WebhookServer server = null!;
    private HttpClient client = null!;

    public async Task InitializeAsync()
    {
        var (certFile, keyFile) = TestCertificate.WritePem(cert, dir.Path);
        server = await WebhookServer.StartAsync(WebhookServer.ConfigWithCertificate(certFile, keyFile, CorpusCase.BodyLimit));
        client = server.Client(cert);
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await server.DisposeAsync();
        dir.Dispose();
    }

    [Fact]
    public void The_corpus_holds_at_least_200_cases_each_with_an_expected_outcome()
    {
        var cases = CorpusCase.Load();

        cases.Should().HaveCountGreaterThanOrEqualTo(200);
        cases.Should().OnlyContain(c => c.ExpectedStatus != null || c.Line["expect"]!["allowed"] != null);
        cases.Select(c => c.ToString()).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Every_corpus_case_gets_its_expected_answer_never_a_500_and_no_error_log()
    {
        var failures = new List<string>();
        var index = 0;
        foreach (var c in CorpusCase.Load())
        {
            var uid = $"corpus-{index++}";
            var before = server.Logs.Events.Count;
            var (status, text) = await PostAsync(c.Body(uid));
            var problem = Check(c, uid, status, text);
            var errors = server.Logs.Events.Skip(before).Where(e => e.Level >= LogEventLevel.Error).ToList();
            if (errors.Count > 0)
            {
                problem = (problem is null ? "" : problem + "; ") + "logged an error: " + errors[0].RenderMessage();
            }

            if (problem is not null)
            {
                failures.Add($"{c}: {problem}");
            }
        }

        failures.Should().BeEmpty();
    }

    [Fact]
    public async Task Every_annotation_case_renders_to_yaml_that_reparses_to_the_same_pod_and_injects_no_structure()
    {
        var failures = new List<string>();
        foreach (var c in CorpusCase.Load().Where(c => c.Annotations is not null))
        {
            var pod = c.Pod();
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = await Cli.RunAsync(["render", "-f", "-"], new StringReader(Yaml.Write(pod)), stdout, stderr, _ => null);
            var problem = CheckRender(c, pod, code, stdout.ToString());
            if (problem is not null)
            {
                failures.Add($"{c}: {problem}");
            }
        }

        failures.Should().BeEmpty();
    }

    private static string? Check(CorpusCase c, string uid, HttpStatusCode status, string text)
    {
        if ((int)status >= 500)
        {
            return $"answered {(int)status}: {text}";
        }

        if (c.ExpectedStatus is { } expected)
        {
            var reason = c.Expect["reason"]!.GetValue<string>();
            return (int)status == expected && text.Contains(reason, StringComparison.Ordinal)
                ? null
                : $"expected {expected} with \"{reason}\", got {(int)status}: {Truncate(text)}";
        }

        if (status != HttpStatusCode.OK)
        {
            return $"expected 200, got {(int)status}: {Truncate(text)}";
        }

        var response = JsonNode.Parse(text)!["response"]!.AsObject();
        if ((string?)response["uid"] != uid)
        {
            return "uid not echoed";
        }

        var allowed = response["allowed"]!.GetValue<bool>();
        if (allowed != c.ExpectedAllowed)
        {
            return $"expected allowed={c.ExpectedAllowed}, got {Truncate(text)}";
        }

        if (allowed)
        {
            var wantPatch = c.Expect["patch"]?.GetValue<bool>() ?? false;
            return response.ContainsKey("patch") == wantPatch ? null : $"expected patch={wantPatch}, got {Truncate(text)}";
        }

        var message = response["status"]?["message"]?.GetValue<string>() ?? "";
        var fields = new List<string> { c.Expect["field"]!.GetValue<string>() };
        fields.AddRange(c.Expect["alsoFields"]?.AsArray().Select(f => f!.GetValue<string>()) ?? []);
        var missing = fields.Where(f => !message.Contains(f + ":", StringComparison.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            return $"denial does not name {string.Join(", ", missing)}: {Truncate(message)}";
        }

        // Every error states the expected form (STYLE.md: "names the field and the expected form").
        var errorCount = message.Split("; metadata.").Length;
        return message.Split("expected").Length - 1 >= errorCount ? null : $"denial does not state the expected form: {Truncate(message)}";
    }

    private static string? CheckRender(CorpusCase c, JsonObject pod, int code, string stdout)
    {
        var wantCode = c.ExpectedAllowed ? 0 : 1;
        if (code != wantCode)
        {
            return $"render exited {code}, expected {wantCode}";
        }

        IReadOnlyList<JsonNode?> docs;
        try
        {
            docs = Yaml.ParseStream(stdout);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"render output does not re-parse: {ex.Message}";
        }

        var rendered = docs.OfType<JsonObject>().Where(d => (string?)d["kind"] == "Pod").ToList();
        if (rendered.Count != 1)
        {
            return $"expected exactly one Pod in the output, found {rendered.Count} of {docs.Count} documents";
        }

        if (!JsonNode.DeepEquals(rendered[0]["metadata"]!["annotations"], pod["metadata"]!["annotations"])
            && !AnnotationsKept(rendered[0], pod))
        {
            return "the Pod's annotations changed on the way through render";
        }

        var hostile = c.Annotations!.Select(a => a.Value!.GetValue<string>()).Where(v => v.Length >= 3).ToList();
        foreach (var doc in docs.OfType<JsonObject>().Where(d => (string?)d["kind"] != "Pod"))
        {
            if (doc["kind"]?.GetValueKind() != System.Text.Json.JsonValueKind.String || !GeneratedKinds.Contains((string)doc["kind"]!))
            {
                return $"unexpected document kind {doc["kind"]?.ToJsonString()}";
            }

            var key = Keys(doc).FirstOrDefault(k => k.Any(char.IsControl) || k.Any(char.IsWhiteSpace) || hostile.Any(h => k.Contains(h, StringComparison.Ordinal)));
            if (key is not null)
            {
                return $"a generated {doc["kind"]} has the key {key} derived from the annotation value";
            }
        }

        return null;
    }

    // render adds its own annotations (status, profile) to a mutated pod; every input annotation must survive verbatim.
    private static bool AnnotationsKept(JsonObject rendered, JsonObject pod) =>
        pod["metadata"]!["annotations"]!.AsObject().All(a => rendered["metadata"]?["annotations"]?[a.Key] is { } v && JsonNode.DeepEquals(v, a.Value));

    private static readonly HashSet<string> GeneratedKinds =
        ["Secret", "ConfigMap", "CiliumNetworkPolicy", "CiliumEnvoyConfig", "CiliumClusterwideEnvoyConfig", "CiliumClusterwideNetworkPolicy"];

    private static IEnumerable<string> Keys(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Keys(p.Value).Prepend(p.Key)),
        JsonArray a => a.SelectMany(Keys),
        _ => [],
    };

    private static string Truncate(string s) => s.Length <= 400 ? s : s[..400] + "...";

    private async Task<(HttpStatusCode Status, string Text)> PostAsync(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync("/mutate", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
