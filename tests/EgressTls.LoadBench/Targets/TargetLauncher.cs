using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json.Nodes;

namespace EgressTls.LoadBench.Targets;

/// <summary>Starts the floor and <c>egress-tls serve</c> on 127.0.0.1 with the run's certificate.</summary>
public static class TargetLauncher
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The runtime environment (<c>DOTNET_*</c>) the image sets (Dockerfile), none at present: both targets
    /// get it, so the comparison is between request paths under the runtime settings serve is deployed with.</summary>
    public static readonly IReadOnlyDictionary<string, string> DeployedEnvironment = new Dictionary<string, string>();

    /// <summary>Gives a target the image's runtime environment: GC settings inherited from whoever runs the
    /// benchmark are dropped first (they would tune one run's targets unlike the image), other variables kept
    /// (<c>DOTNET_PerfMapEnabled</c> for profiling a target, for one).</summary>
    internal static void AsDeployed(ProcessStartInfo start)
    {
        foreach (var name in start.Environment.Keys.Where(IsGcSetting).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in DeployedEnvironment)
        {
            start.Environment[name] = value;
        }
    }

    // The runtime reads GC settings as DOTNET_GC* and COMPlus_GC* (DOTNET_gcServer among them), in any case.
    private static bool IsGcSetting(string name) =>
        name.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase) || name.StartsWith("COMPlus_GC", StringComparison.OrdinalIgnoreCase);

    /// <summary>The floor, in this process or (default) in a child process of this program like serve.</summary>
    public static async Task<BenchTarget> StartFloorAsync(BenchCertificate certificate, bool inProcess)
    {
        if (inProcess)
        {
            var (app, port) = await FloorServer.StartAsync(certificate.CertFile, certificate.KeyFile, 0).ConfigureAwait(false);
            return new BenchTarget("floor", Loopback(port), null, app.DisposeAsync);
        }

        var self = Assembly.GetExecutingAssembly().Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { self, "floor-server", certificate.CertFile, certificate.KeyFile })
        {
            start.ArgumentList.Add(arg);
        }

        AsDeployed(start);

        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start the floor process");
        var errors = process.StandardError.ReadToEndAsync();
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(StartTimeout).ConfigureAwait(false);
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            await KillAsync(process).ConfigureAwait(false);
            throw new InvalidOperationException($"the floor did not start: {line} {await errors.ConfigureAwait(false)}");
        }

        var floorPort = int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        return new BenchTarget("floor", Loopback(floorPort), process.Id, async () =>
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(5_000))
            {
                await KillAsync(process).ConfigureAwait(false);
            }

            process.Dispose();
        });
    }

    /// <summary>
    /// <c>dotnet egress-tls.dll serve --standalone --config FILE</c> with a generated config (free ports,
    /// the run's certificate); its log goes to a file in <paramref name="directory"/>. Ready when /readyz
    /// answers 200.
    /// </summary>
    public static async Task<BenchTarget> StartServeAsync(string servePath, BenchCertificate certificate, string directory, string logLevel)
    {
        if (!File.Exists(servePath))
        {
            throw new InvalidOperationException($"{servePath} does not exist; build src/EgressTls.Webhook (Release) or pass --serve-path");
        }

        var port = FreePort();
        var metricsPort = FreePort();
        var config = new JsonObject
        {
            ["namespace"] = "egress-tls",
            ["server"] = new JsonObject
            {
                ["port"] = port,
                ["metricsPort"] = metricsPort,
                ["certFile"] = certificate.CertFile,
                ["keyFile"] = certificate.KeyFile,
            },
            ["logLevel"] = logLevel,
        };
        var configFile = Path.Combine(directory, "config.json");
        await File.WriteAllTextAsync(configFile, config.ToJsonString()).ConfigureAwait(false);
        var logFile = Path.Combine(directory, "serve.log");

        // sh only redirects and execs: the process id is serve's own, and its log goes straight to a file
        // (as a container runtime would take it) instead of through this process.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var arg in new[] { "-c", "exec \"$@\" >\"$LOADBENCH_LOG\" 2>&1", "sh", "dotnet", servePath, "serve", "--standalone", "--config", configFile })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["LOADBENCH_LOG"] = logFile;
        AsDeployed(start);
        // Standalone without a cluster: make sure no ambient cluster configuration is picked up.
        start.Environment.Remove("KUBERNETES_SERVICE_HOST");
        start.Environment.Remove("KUBECONFIG");
        start.Environment.Remove("POD_NAMESPACE");
        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start serve");
        string Tail() => LogTail(logFile);

        var target = new BenchTarget("serve", Loopback(port), process.Id, async () =>
        {
            await KillAsync(process).ConfigureAwait(false);
            process.Dispose();
        }, Tail, new Uri($"http://127.0.0.1:{metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}/metrics"));

        using var probe = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => certificate.Matches(cert) },
        })
        { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited)
            {
                var code = process.ExitCode;
                await target.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"serve exited with code {code} before it was ready:\n{Tail()}");
            }

            try
            {
                using var ready = await probe.GetAsync(new Uri(target.BaseAddress, "/readyz")).ConfigureAwait(false);
                if (ready.IsSuccessStatusCode)
                {
                    return target;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        await target.DisposeAsync().ConfigureAwait(false);
        throw new InvalidOperationException($"serve was not ready within {StartTimeout.TotalSeconds} s:\n{Tail()}");
    }

    /// <summary>The serve build of this repository in the configuration this program was built in.</summary>
    public static string DefaultServePath()
    {
        var relative = Assembly.GetExecutingAssembly().GetCustomAttributes<AssemblyMetadataAttribute>()
            .First(a => a.Key == "ServePath").Value!;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Webhook.sln")))
            {
                return Path.Combine(dir.FullName, relative);
            }
        }

        return relative;
    }

    private static Uri Loopback(int port) => new($"https://127.0.0.1:{port}/");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string LogTail(string file)
    {
        try
        {
            var lines = File.ReadAllLines(file);
            return string.Join('\n', lines.TakeLast(15));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    private static async Task KillAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
        }
    }
}
