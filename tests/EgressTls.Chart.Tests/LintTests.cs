namespace EgressTls.Chart.Tests;

public sealed class LintTests
{
    public static TheoryData<string> ValuesFiles()
    {
        var data = new TheoryData<string> { "" };
        foreach (var file in Helm.CiValuesFiles)
        {
            data.Add(file);
        }

        return data;
    }

    [Fact]
    public void The_chart_has_example_values_files_for_the_modes_that_matter()
    {
        Helm.CiValuesFiles.Should().Contain([
            "cert-manager-values.yaml",
            "inline-clusterwide-values.yaml",
            "intercept-groups-values.yaml",
            "ignore-single-replica-values.yaml",
        ]);
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void Helm_lint_strict_passes(string valuesFile)
    {
        string[] args = valuesFile.Length == 0
            ? ["lint", "--strict", Repository.Chart]
            : ["lint", "--strict", Repository.Chart, "-f", Path.Combine(Repository.Chart, "ci", valuesFile)];
        var result = Helm.Run(args);
        result.ExitCode.Should().Be(0, result.Describe());
    }

    [Theory]
    [MemberData(nameof(ValuesFiles))]
    public void Every_rendered_document_parses_and_names_its_kind(string valuesFile)
    {
        var chart = valuesFile.Length == 0 ? Helm.Template() : Helm.Template("-f", $"ci/{valuesFile}");
        chart.Documents.Should().NotBeEmpty();
        chart.Documents.Should().AllSatisfy(d =>
        {
            ((string?)d["apiVersion"]).Should().NotBeNullOrEmpty();
            ((string?)d["kind"]).Should().NotBeNullOrEmpty();
            ((string?)d["metadata"]?["name"]).Should().NotBeNullOrEmpty();
        });
        chart.Documents.Select(d => $"{d["kind"]}/{d["metadata"]!["namespace"]}/{d["metadata"]!["name"]}")
            .Should().OnlyHaveUniqueItems("two objects of one kind and name would overwrite each other");
    }
}
