using System.Text.Json.Nodes;
using EgressTls.Core.Serialization;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Tests.Support;

namespace EgressTls.Webhook.Tests;

/// <summary>
/// The config file the chart renders is the one `serve` reads at start: for the default values and every
/// values file the chart is checked with, `serve` must accept it, or the pods would crash-loop after an install
/// that helm reported as successful.
/// </summary>
public sealed class ChartConfigTests
{
    public static TheoryData<string> ValuesFiles()
    {
        var data = new TheoryData<string> { "" };
        foreach (var file in Directory.GetFiles(Path.Combine(Tools.RepositoryRoot, "charts", "egress-tls", "ci"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Tools.RepositoryRoot, file));
        }

        data.Add(Path.Combine("tests", "e2e", "egress-tls-values.yaml"));
        return data;
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public async Task Serve_accepts_the_config_the_chart_renders(string valuesFile)
    {
        string[] arguments = ["template", "egress-tls", Path.Combine(Tools.RepositoryRoot, "charts", "egress-tls"), "--namespace", "egress-tls"];
        if (valuesFile.Length > 0)
        {
            arguments = [.. arguments, "-f", Path.Combine(Tools.RepositoryRoot, valuesFile)];
        }

        var (exitCode, stdout, stderr) = await Tools.RunAsync(Tools.Require("helm"), arguments);
        exitCode.Should().Be(0, stderr);
        var configMap = Yaml.ParseStream(stdout).OfType<JsonObject>()
            .Single(d => (string?)d["kind"] == "ConfigMap" && d["data"]?["config.json"] is not null);
        var path = Path.Combine(Path.GetTempPath(), $"egress-tls-chart-config-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, (string)configMap["data"]!["config.json"]!);
        try
        {
            var load = () => ConfigLoader.Load(path, _ => null, checkServerFiles: false);
            load.Should().NotThrow();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
