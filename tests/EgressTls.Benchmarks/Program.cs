using BenchmarkDotNet.Running;

// `--smoke` = one dry run of every benchmark (a CI check that they still work, not a measurement).
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

BenchmarkSwitcher.FromAssembly(typeof(EgressTls.Benchmarks.LeafIssuanceBenchmarks).Assembly).Run([.. list]);
