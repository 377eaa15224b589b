using BenchmarkDotNet.Running;

// `--smoke` = one dry run of every benchmark (a CI check that they still work, not a measurement); the
// exit code is 1 when a benchmark failed to build or run, or was refused by validation.
// Without --filter, every benchmark runs (BenchmarkDotNet would otherwise ask interactively).
var list = args.ToList();
if (list.Remove("--smoke"))
{
    list.AddRange(["--job", "dry"]);
}

if (!list.Contains("--filter") && !list.Contains("--list"))
{
    list.AddRange(["--filter", "*"]);
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(EgressTls.Benchmarks.LeafIssuanceBenchmarks).Assembly).Run([.. list]);
var failed = summaries.Where(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)).Select(s => s.Title).ToList();
foreach (var title in failed)
{
    Console.Error.WriteLine($"benchmark failed: {title}");
}

return failed.Count == 0 ? 0 : 1;
