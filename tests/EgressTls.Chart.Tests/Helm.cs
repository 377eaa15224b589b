using System.Collections.Concurrent;

namespace EgressTls.Chart.Tests;

/// <summary>Runs the real helm binary on charts/egress-tls.</summary>
internal static class Helm
{
    public const string ReleaseName = "egress-tls";
    public const string ReleaseNamespace = "egress-tls";

    private static readonly ConcurrentDictionary<string, Lazy<RenderedChart>> Renders = new();

    /// <summary>The example values files helm lint and the tests use (charts/egress-tls/ci).</summary>
    public static IReadOnlyList<string> CiValuesFiles { get; } =
        Directory.GetFiles(Path.Combine(Repository.Chart, "ci"), "*.yaml").Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal).ToList()!;

    public static ToolResult Run(params string[] arguments) => Tool.Run(Tool.Locate("helm"), arguments);

    /// <summary><c>helm template</c> with the given arguments (<c>-f ci/x.yaml</c> is relative to the chart);
    /// fails the test when helm fails. Cached: renders are pure.</summary>
    public static RenderedChart Template(params string[] arguments) =>
        Renders.GetOrAdd(string.Join('\u0001', arguments), _ => new Lazy<RenderedChart>(() =>
        {
            var result = TryTemplate(arguments);
            result.ExitCode.Should().Be(0, result.Describe());
            return new RenderedChart(result.StandardOutput);
        })).Value;

    public static ToolResult TryTemplate(params string[] arguments) =>
        Run([
            "template", ReleaseName, Repository.Chart, "--namespace", ReleaseNamespace,
            .. arguments.Select(a => a.StartsWith("ci/", StringComparison.Ordinal) ? Path.Combine(Repository.Chart, a) : a),
        ]);

    /// <summary>Renders of the default values and of every example values file, by name.</summary>
    public static IEnumerable<(string Name, RenderedChart Chart)> AllConfigurations() =>
        CiValuesFiles.Select(f => (f, Template("-f", $"ci/{f}"))).Prepend(("default values", Template()));
}
