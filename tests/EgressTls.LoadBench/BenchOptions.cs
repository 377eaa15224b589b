using System.Globalization;

namespace EgressTls.LoadBench;

/// <summary>The command line of the load benchmark (see <see cref="Usage"/>).</summary>
public sealed record BenchOptions
{
    public const string Usage = """
        usage: EgressTls.LoadBench [options]                 load benchmark: floor vs egress-tls serve
               EgressTls.LoadBench --scale [scale options]   scale run of the core Renderer

        load benchmark (127.0.0.1 only; every cell bounded by --duration and --max-requests):
          --target floor|serve|both   what to drive (default both, interleaved body by body)
          --bodies LIST               comma-separated: typical,typical-cold,typical-rollout,typical-sts,large,large-cold,unannotated,provider
                                      (default all; "-cold": every request a pod from a template never seen, rendered;
                                      "-rollout": every request from a new ReplicaSet of one Deployment;
                                      "-sts": every request another pod of a StatefulSet)
          --duration TIME             length of each measured cell, e.g. 5s, 500ms (default 5s)
          --warmup TIME               warm-up per target before the first cell (default 3s)
          --rate N                    offered rate of the open-loop cells, requests/s (default 1000)
          --connections N             keep-alive connections (MaxConnectionsPerServer) (default 8)
          --max-requests N            cap on the requests of one cell (default 1000000)
          --repeat N                  measure every cell N times, all bodies once per repetition; the ratios
                                      table then gives the median and the range over the repetitions (default 1)
          --http 1.1|2                protocol (default 1.1, what kube-apiserver uses for webhooks)
          --serve-path PATH           egress-tls.dll (default: this repository's build, same configuration)
          --serve-log-level LEVEL     logLevel in serve's config (default Information, as deployed)
          --floor process|inproc      floor in a child process like serve (default) or in this process
          --wire                      also capture the target's port during the fixed-rate cells (tcpdump, root or
                                      CAP_NET_RAW) and report its latency at the wire: request's first byte to the
                                      answer's last on the loopback interface, without the client's own scheduling
          --soak N                    afterwards, N admissions (mixed bodies) per round, working set after each
          --soak-rounds N             rounds of --soak (default 3)
          --smoke                     a few hundred requests in total, for CI: exits 1 on any wrong answer
        scale run:
          --pods N --namespaces N --profiles N   (defaults 10000, 1000, 3)
        Exit codes: 0 every answer correct, 1 a wrong answer or a target failed, 2 usage.
        """;

    public string Target { get; init; } = "both";
    public IReadOnlyList<string> Bodies { get; init; } = Workload.ReviewBodies.Names;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);
    public int Rate { get; init; } = 1000;
    public int Connections { get; init; } = 8;
    public long MaxRequests { get; init; } = 1_000_000;
    public int Repeat { get; init; } = 1;
    public bool Http2 { get; init; }
    public string? ServePath { get; init; }
    public string ServeLogLevel { get; init; } = "Information";
    public bool FloorInProcess { get; init; }
    public bool Wire { get; init; }
    public long Soak { get; init; }
    public int SoakRounds { get; init; } = 3;
    public bool Smoke { get; init; }
    public bool Scale { get; init; }
    public int Pods { get; init; } = 10_000;
    public int Namespaces { get; init; } = 1_000;
    public int Profiles { get; init; } = 3;
    public bool Help { get; init; }

    public bool RunsFloor => Target is "floor" or "both";

    public bool RunsServe => Target is "serve" or "both";

    /// <summary>Parses <paramref name="args"/>.</summary>
    /// <exception cref="ArgumentException">An unknown option or a malformed value.</exception>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            options = name switch
            {
                "--target" => options with { Target = OneOf(name, Value(), "floor", "serve", "both") },
                "--bodies" => options with { Bodies = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--duration" => options with { Duration = Time(name, Value()) },
                "--warmup" => options with { Warmup = Time(name, Value()) },
                "--rate" => options with { Rate = (int)Positive(name, Value()) },
                "--connections" => options with { Connections = (int)Positive(name, Value()) },
                "--max-requests" => options with { MaxRequests = Positive(name, Value()) },
                "--repeat" => options with { Repeat = (int)Positive(name, Value()) },
                "--http" => options with { Http2 = OneOf(name, Value(), "1.1", "2") == "2" },
                "--serve-path" => options with { ServePath = Value() },
                "--serve-log-level" => options with { ServeLogLevel = Value() },
                "--floor" => options with { FloorInProcess = OneOf(name, Value(), "process", "inproc") == "inproc" },
                "--soak" => options with { Soak = Positive(name, Value()) },
                "--soak-rounds" => options with { SoakRounds = (int)Positive(name, Value()) },
                "--smoke" => options with { Smoke = true },
                "--wire" => options with { Wire = true },
                "--scale" => options with { Scale = true },
                "--pods" => options with { Pods = (int)Positive(name, Value()) },
                "--namespaces" => options with { Namespaces = (int)Positive(name, Value()) },
                "--profiles" => options with { Profiles = (int)Positive(name, Value()) },
                "-h" or "--help" => options with { Help = true },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }

        var known = new HashSet<string>(Workload.ReviewBodies.Names);
        if (options.Bodies.FirstOrDefault(b => !known.Contains(b)) is { } unknown)
        {
            throw new ArgumentException($"--bodies: unknown body \"{unknown}\"; expected {string.Join(", ", known)}");
        }

        return options;
    }

    private static string OneOf(string name, string value, params string[] allowed) =>
        allowed.Contains(value) ? value : throw new ArgumentException($"{name}: \"{value}\"; expected {string.Join(" or ", allowed)}");

    private static long Positive(string name, string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name}: \"{value}\"; expected a positive integer");

    private static TimeSpan Time(string name, string value)
    {
        var (number, scale) = value switch
        {
            _ when value.EndsWith("ms", StringComparison.Ordinal) => (value[..^2], 0.001),
            _ when value.EndsWith('s') => (value[..^1], 1.0),
            _ when value.EndsWith('m') => (value[..^1], 60.0),
            _ => (value, 1.0),
        };
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? TimeSpan.FromSeconds(n * scale)
            : throw new ArgumentException($"{name}: \"{value}\"; expected a duration such as 5s or 500ms");
    }
}
