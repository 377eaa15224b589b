using System.Text.Json.Nodes;
using EgressTls.Core.Serialization;

namespace EgressTls.Chart.Tests;

/// <summary>The documents of one <c>helm template</c> output, parsed with the product's YAML reader.</summary>
internal sealed class RenderedChart
{
    public RenderedChart(string yaml)
    {
        Text = yaml;
        Documents = Yaml.ParseStream(yaml).Select(d => d!.AsObject()).ToList();
    }

    public string Text { get; }

    public IReadOnlyList<JsonObject> Documents { get; }

    public IEnumerable<JsonObject> OfKind(string kind) => Documents.Where(d => (string?)d["kind"] == kind);

    public JsonObject Single(string kind)
    {
        var matches = OfKind(kind).ToList();
        matches.Should().ContainSingle($"the chart renders exactly one {kind}");
        return matches[0];
    }

    public JsonObject Deployment => Single("Deployment");

    public JsonObject Container => Deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single()!.AsObject();

    public JsonObject WebhookConfiguration => Single("MutatingWebhookConfiguration");

    public IReadOnlyList<JsonObject> Webhooks =>
        WebhookConfiguration["webhooks"]!.AsArray().Select(w => w!.AsObject()).ToList();

    public JsonObject Config => JsonNode.Parse((string)Single("ConfigMap")["data"]!["config.json"]!)!.AsObject();
}
