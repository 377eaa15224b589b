using System.Diagnostics;
using System.Globalization;
using EgressTls.LoadBench.Load;
using EgressTls.LoadBench.Report;
using EgressTls.LoadBench.Targets;
using EgressTls.LoadBench.Wire;
using EgressTls.LoadBench.Workload;

namespace EgressTls.LoadBench;

/// <summary>
/// The load benchmark: starts the targets, warms them, then measures every body at saturation and at
/// the offered rate, floor and serve back to back for each cell (so a change in machine load hits both
/// sides of a ratio alike), prints the tables and exits 1 when any answer was wrong.
/// </summary>
public static class BenchCommand
{
    public static async Task<int> RunAsync(BenchOptions options, TextWriter output)
    {
        if (options.Smoke)
        {
            // A few hundred requests, bounded by count: CI proves the benchmark and the answers, not speed.
            options = options with { Duration = TimeSpan.FromSeconds(10), Warmup = TimeSpan.FromSeconds(10), MaxRequests = 40, Rate = 200, Soak = 0 };
        }

        var all = ReviewBodies.All();
        var bodies = ReviewBodies.Names.Where(options.Bodies.Contains).Select(n => all.Single(b => b.Name == n)).ToList();
        var directory = Directory.CreateTempSubdirectory("egress-tls-loadbench-");
        var targets = new List<(LoadDriver Driver, Func<WorkloadBody, PatchExpectation> Expect)>();
        var problems = new List<string>();
        var cells = new List<CellResult>();
        var clock = Stopwatch.StartNew();
        try
        {
            var certificate = BenchCertificate.Create(directory.FullName, DateTimeOffset.UtcNow);
            output.WriteLine($"egress-tls load benchmark: {ProcessStats.Load()}, {Environment.ProcessorCount} CPUs, .NET {Environment.Version}, "
                + $"HTTP/{(options.Http2 ? "2" : "1.1")}, {options.Connections} connections, rate {options.Rate}/s, cell {options.Duration.TotalSeconds:0.#} s"
                + $" (max {options.MaxRequests} requests){(options.Smoke ? ", smoke" : "")}");
            output.WriteLine("bodies: " + string.Join(", ", bodies.Select(b => $"{b.Name} {b.Length} B")));

            if (options.RunsFloor)
            {
                var floor = await TargetLauncher.StartFloorAsync(certificate, options.FloorInProcess).ConfigureAwait(false);
                targets.Add((new LoadDriver(floor, certificate, options.Connections, options.Http2), _ => PatchExpectation.NoPatch));
            }

            if (options.RunsServe)
            {
                var servePath = options.ServePath ?? TargetLauncher.DefaultServePath();
                var serve = await TargetLauncher.StartServeAsync(servePath, certificate, directory.FullName, options.ServeLogLevel).ConfigureAwait(false);
                targets.Add((new LoadDriver(serve, certificate, options.Connections, options.Http2), b => b.Expectation));
                output.WriteLine($"serve: {servePath} (pid {serve.ProcessId}, logLevel {options.ServeLogLevel})");
            }

            foreach (var (driver, expect) in targets)
            {
                // Warm-up spread over the bodies: connections open, TLS sessions, tiered JIT reaching tier 1.
                var perBody = options.Warmup / Math.Max(1, bodies.Count);
                foreach (var body in bodies)
                {
                    var warm = await driver.WarmAsync(body, expect(body), options.Connections, perBody, options.Smoke ? 10 : long.MaxValue).ConfigureAwait(false);
                    problems.AddRange(warm.Problems.Select(p => $"{driver.Target.Name} warm-up: {p}"));
                }
            }

            // Repetitions go over all bodies in turn, so a slow drift of the machine spreads over every body.
            foreach (var body in Enumerable.Range(0, options.Smoke ? 1 : options.Repeat).SelectMany(_ => bodies))
            {
                foreach (var saturation in new[] { true, false })
                {
                    foreach (var (driver, expect) in targets)
                    {
                        var memoBefore = await ReadMemoAsync(driver.Target).ConfigureAwait(false);
                        await using var capture = options.Wire && !saturation
                            ? await WireCapture.StartAsync(driver.Target.BaseAddress.Port, directory.FullName).ConfigureAwait(false)
                            : null;
                        var cell = saturation
                            ? await driver.SaturateAsync(body, expect(body), options.Connections, options.Duration, options.MaxRequests, $"sat {options.Connections}").ConfigureAwait(false)
                            : await driver.OfferAsync(body, expect(body), options.Rate, options.Duration, options.MaxRequests, $"rate {options.Rate}").ConfigureAwait(false);
                        if (capture is not null)
                        {
                            cell = cell with { Wire = WireStats.From(await capture.StopAsync().ConfigureAwait(false)) };
                            if (WireProblem(cell) is { } wireProblem)
                            {
                                problems.Add($"{driver.Target.Name} {body.Name} {cell.Mode}: {wireProblem}");
                            }
                        }

                        if (memoBefore is not null && await ReadMemoAsync(driver.Target).ConfigureAwait(false) is { } memoAfter)
                        {
                            cell = cell with { Memo = memoAfter.Since(memoBefore) };
                            if (MemoProblem(body, cell.Memo) is { } memoProblem)
                            {
                                problems.Add($"{driver.Target.Name} {body.Name} {cell.Mode}: {memoProblem}");
                            }
                        }

                        cells.Add(cell);
                        problems.AddRange(cell.Problems.Select(p => $"{driver.Target.Name} {cell.Mode}: {p}"));
                        if (cell.Failed > 0)
                        {
                            problems.Add($"{driver.Target.Name} {body.Name} {cell.Mode}: {cell.Failed} wrong answers");
                        }

                        // Under overload a measurement may see timeouts (reported in the table); CI may not.
                        if (cell.TimedOut > 0 && options.Smoke)
                        {
                            problems.Add($"{driver.Target.Name} {body.Name} {cell.Mode}: {cell.TimedOut} requests not answered within 10 s");
                        }
                    }
                }
            }

            output.WriteLine();
            TableWriter.WriteCells(output, cells, bodies.ToDictionary(b => b.Name, b => b.Length));
            TableWriter.WriteRatios(output, cells);

            if (options.Soak > 0)
            {
                await SoakAsync(options, bodies, targets, output, problems).ConfigureAwait(false);
            }

            foreach (var (driver, _) in targets)
            {
                if (driver.Target.ProcessId is { } pid)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{driver.Target.Name}: working set {ProcessStats.ResidentBytes(pid) / 1048576.0:0.0} MiB at the end"));
                }
            }
        }
        catch (InvalidOperationException ex)
        {
            problems.Add(ex.Message);
        }
        finally
        {
            foreach (var (driver, _) in targets)
            {
                if (problems.Count > 0 && driver.Target.Describe() is { Length: > 0 } log)
                {
                    output.WriteLine($"--- end of the {driver.Target.Name} log:\n{log}");
                }

                driver.Dispose();
                await driver.Target.DisposeAsync().ConfigureAwait(false);
            }

            directory.Delete(recursive: true);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done in {clock.Elapsed.TotalSeconds:0.0} s, {ProcessStats.Load()}"));
        if (problems.Count > 0)
        {
            output.WriteLine($"FAILED: {problems.Count} problems");
            foreach (var problem in problems.Take(30))
            {
                output.WriteLine("  " + problem);
            }

            return 1;
        }

        output.WriteLine("every answer was correct");
        return 0;
    }

    // Working set after N admissions, round after round: must stay under the target and stop growing.
    private static async Task SoakAsync(
        BenchOptions options, List<WorkloadBody> bodies, List<(LoadDriver Driver, Func<WorkloadBody, PatchExpectation> Expect)> targets,
        TextWriter output, List<string> problems)
    {
        output.WriteLine();
        output.WriteLine($"soak: {options.SoakRounds} rounds of {options.Soak} admissions over the bodies in turn, {options.Connections} connections");
        output.WriteLine($"{"target",-6} {"round",5} {"admissions",11} {"req/s",8} {"working set MiB",16}  load");
        // The soak is about serve; the floor only when it is driven alone (a reference for the runtime's own size).
        var soaked = targets.Any(t => t.Driver.Target.Name == "serve") ? targets.Where(t => t.Driver.Target.Name == "serve").ToList() : targets;
        foreach (var (driver, expect) in soaked)
        {
            if (driver.Target.ProcessId is not { } pid)
            {
                continue;
            }

            long total = 0;
            for (var round = 1; round <= options.SoakRounds; round++)
            {
                long ok = 0;
                var elapsed = TimeSpan.Zero;
                foreach (var body in bodies)
                {
                    var cell = await driver.SaturateAsync(body, expect(body), options.Connections, TimeSpan.FromHours(1), options.Soak / bodies.Count, "soak")
                        .ConfigureAwait(false);
                    ok += cell.Ok;
                    elapsed += cell.Elapsed;
                    problems.AddRange(cell.Problems.Select(p => $"{driver.Target.Name} soak: {p}"));
                }

                total += ok;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{driver.Target.Name,-6} {round,5} {total,11} {ok / elapsed.TotalSeconds,8:0} {ProcessStats.ResidentBytes(pid) / 1048576.0,16:0.0}  {ProcessStats.Load()}"));
            }
        }
    }

    /// <summary>Why the wire figures of <paramref name="cell"/> cannot be trusted, or <c>null</c>: a capture that lost
    /// no packet must show one exchange per answer the client got.</summary>
    public static string? WireProblem(CellResult cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        return cell.Wire is { Dropped: 0 } wire && cell.Failed == 0 && cell.TimedOut == 0 && wire.Exchanges != cell.Ok
            ? $"the capture paired {wire.Exchanges} requests with answers; the client got {cell.Ok}"
            : null;
    }

    private static readonly HttpClient MetricsClient = new() { Timeout = TimeSpan.FromSeconds(5) };

    // serve's memo counters, or null for the floor.
    private static async Task<MemoShare?> ReadMemoAsync(BenchTarget target) =>
        target.Metrics is { } metrics ? await MemoCounters.ReadAsync(MetricsClient, metrics).ConfigureAwait(false) : null;

    /// <summary>Why a cell did not take the path its body is meant to measure (every request answered from the
    /// memo, or none), or <c>null</c>: a benchmark of the cold path that hit the memo would report the memo.</summary>
    public static string? MemoProblem(WorkloadBody body, MemoShare memo)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(memo);
        return body.Memo switch
        {
            MemoExpectation.Hit when memo.Lookups == 0 || memo.Hits != memo.Lookups =>
                $"{memo.Hits} of {memo.Lookups} decisions came from the memo; expected all (pods of one template)",
            MemoExpectation.Miss when memo.Lookups == 0 || memo.Hits != 0 =>
                $"{memo.Hits} of {memo.Lookups} decisions came from the memo; expected none (every pod new)",
            _ => null,
        };
    }

}
