using EgressTls.LoadBench.Load;
using EgressTls.LoadBench.Report;

namespace EgressTls.LoadBench.Tests;

/// <summary>The ratios table: one value per body from a single run, median and range over repetitions.</summary>
public class TableWriterTests
{
    [Fact]
    public void Repeated_cells_give_the_median_ratio_and_its_range_over_back_to_back_pairs()
    {
        var cells = new List<CellResult>();
        foreach (var (floor, serve, cpuFloor, cpuServe) in new[] { (1000, 900, 80, 100), (1000, 700, 80, 160), (2000, 1600, 80, 100) })
        {
            cells.Add(Cell("floor", "typical", "sat 8", floor, cpuFloor));
            cells.Add(Cell("serve", "typical", "sat 8", serve, cpuServe));
        }

        var text = Write(cells);

        var row = text.Split('\n').Single(l => l.StartsWith("typical", StringComparison.Ordinal));
        row.Should().Contain("80% (70%-90%)", "serve/floor per pair: 90%, 70%, 80%");
        row.Should().Contain("80% (50%-80%)", "floor CPU over serve CPU per pair: 80%, 50%, 80%");
        row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1].Should().Be("1000", "the median floor throughput");
        text.Should().Contain("medians over the repetitions");
    }

    [Fact]
    public void A_single_run_gives_plain_ratios_without_a_range()
    {
        var text = Write([Cell("floor", "large", "sat 8", 1000, 150), Cell("serve", "large", "sat 8", 790, 250)]);

        var row = text.Split('\n').Single(l => l.StartsWith("large", StringComparison.Ordinal));
        row.Should().Contain(" 79% ").And.Contain(" 60% ").And.NotContain("(");
        text.Should().NotContain("repetitions");
    }

    [Fact]
    public void The_memo_column_gives_the_share_of_serve_decisions_answered_from_the_memo()
    {
        var text = Write(
        [
            Cell("floor", "typical-cold", "sat 8", 1000, 80), Cell("serve", "typical-cold", "sat 8", 600, 200) with { Memo = new(0, 600) },
            Cell("floor", "typical", "sat 8", 1000, 80), Cell("serve", "typical", "sat 8", 900, 100) with { Memo = new(891, 900) },
        ]);

        Row(text, "typical-cold").Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1].Should().Be("0%");
        Row(text, "typical ").Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1].Should().Be("99%");
    }

    [Theory]
    [InlineData(new double[] { 3, 1, 2 }, 2)]
    [InlineData(new double[] { 4, 1, 3, 2 }, 2.5)]
    [InlineData(new double[] { double.NaN, 5 }, 5)]
    public void The_median_ignores_unknown_values(double[] values, double median) =>
        TableWriter.Median(values).Should().Be(median);

    private static string Row(string text, string body) => text.Split('\n').Single(l => l.StartsWith(body, StringComparison.Ordinal));

    private static string Write(IReadOnlyList<CellResult> cells)
    {
        var output = new StringWriter();
        TableWriter.WriteRatios(output, cells);
        return output.ToString();
    }

    // `ok` answers in one second, `cpu` microseconds of server CPU per answer.
    private static CellResult Cell(string target, string body, string mode, long ok, double cpu) =>
        new(target, body, mode, ok, 0, 0, TimeSpan.FromSeconds(1), new LatencyRecorder(), null,
            TimeSpan.FromMicroseconds(cpu * ok), false, [], "load 1.00");
}
