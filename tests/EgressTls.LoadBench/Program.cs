using EgressTls.LoadBench;
using EgressTls.LoadBench.Scale;
using EgressTls.LoadBench.Targets;

// `floor-server CERT KEY` is how the benchmark starts the floor in a child process (not for people).
if (args is ["floor-server", var cert, var key])
{
    return await FloorServer.RunChildAsync(cert, key);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"EgressTls.LoadBench: {ex.Message}\n\n{BenchOptions.Usage}");
    return 2;
}

if (options.Help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

return options.Scale ? ScaleRun.Run(options, Console.Out) : await BenchCommand.RunAsync(options, Console.Out);
