using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Webhook.Tests.Support;
using Xunit.Abstractions;

namespace EgressTls.Webhook.Tests.Cluster;

/// <summary>The published application as the image runs it: read-only directory, non-root user (65534),
/// HOME and TMPDIR on a writable temp directory, an ephemeral serving certificate.</summary>
public sealed class PublishedApplicationTests(PublishedApplication app, ITestOutputHelper output) : IClassFixture<PublishedApplication>
{
    [Fact]
    public async Task Starts_as_a_non_root_user_from_a_read_only_directory_and_serves_readyz_and_mutate_over_tls()
    {
        File.Exists(Path.Combine(app.AppDirectory, "egress-tls.dll")).Should().BeTrue();
        var (https, metrics) = (FreePort(), FreePort());
        var config = Path.Combine(app.WritableDirectory, "config.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["namespace"] = "egress-tls",
            ["server"] = new JsonObject { ["port"] = https, ["metricsPort"] = metrics },
        }.ToJsonString());

        var logs = new StringBuilder();
        var watch = Stopwatch.StartNew();
        using var process = StartServe(config, logs);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metrics}"), Timeout = TimeSpan.FromSeconds(2) };
            TimeSpan? ready = null;
            while (watch.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
            {
                try
                {
                    if ((await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK)
                    {
                        ready = watch.Elapsed;
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(25);
            }

            ready.Should().NotBeNull("the published application should become ready; its output:\n" + logs);
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
            using var tls = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{https}") };
            var content = new StringContent(Reviews.ConfigMap("uid-published").ToJsonString(), Encoding.UTF8, "application/json");
            var mutate = await tls.PostAsync("/mutate", content);
            var answer = JsonNode.Parse(await mutate.Content.ReadAsStringAsync())!;

            mutate.StatusCode.Should().Be(HttpStatusCode.OK);
            ((string?)answer["response"]!["uid"]).Should().Be("uid-published");
            (await RunsAsUserAsync(process.Id)).Should().NotBe(0, "the process must not run as root");

            // The decision line reaches standard output (written by the background writer within its linger).
            string? decision = null;
            while (decision is null && watch.Elapsed < TimeSpan.FromSeconds(90))
            {
                lock (logs)
                {
                    decision = logs.ToString().Split('\n').FirstOrDefault(l => l.Contains("\"Uid\":\"uid-published\"", StringComparison.Ordinal));
                }

                await Task.Delay(25);
            }

            decision.Should().NotBeNull("one decision line per admission on stdout; the output:\n" + logs);
            var line = JsonNode.Parse(decision!)!;
            ((string?)line["Decision"]).Should().Be("Skipped");
            ((string?)line["@m"]).Should().StartWith("Admission Skipped (");
            ((string?)line["SourceContext"]).Should().Be("EgressTls.Webhook.Admission.MutateEndpoint");
            output.WriteLine($"publish size: {app.SizeBytes / 1024.0 / 1024.0:0.0} MiB ({app.SizeBytes} bytes), publish time {app.PublishTime.TotalSeconds:0.0}s");
            output.WriteLine($"process start to /readyz 200: {ready!.Value.TotalMilliseconds:0} ms");
            await File.AppendAllTextAsync(Path.Combine(Path.GetTempPath(), "egress-tls-published-figures.txt"),
                $"{DateTime.UtcNow:o} size_bytes={app.SizeBytes} ready_ms={ready.Value.TotalMilliseconds:0}\n");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task On_SIGTERM_readyz_fails_at_once_mutate_is_answered_during_the_shutdown_delay_then_the_process_exits_0()
    {
        var (https, metrics) = (FreePort(), FreePort());
        var config = Path.Combine(app.WritableDirectory, "config-drain.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["server"] = new JsonObject { ["port"] = https, ["metricsPort"] = metrics, ["shutdownDelay"] = "4s" },
        }.ToJsonString());
        var logs = new StringBuilder();
        using var process = StartServe(config, logs);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metrics}"), Timeout = TimeSpan.FromSeconds(2) };
            var started = Stopwatch.StartNew();
            while (!await IsReadyAsync(http))
            {
                started.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60), "serve should become ready; its output:\n" + logs);
                process.HasExited.Should().BeFalse("serve should keep running; its output:\n" + logs);
                await Task.Delay(25);
            }

            // What the kubelet sends when the pod is deleted, as endpoints controllers start removing it.
            (await Tools.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])).ExitCode.Should().Be(0);
            var sinceSignal = Stopwatch.StartNew();

            // Every probe is answered; within moments of the signal they say not ready.
            HttpResponseMessage readiness;
            while ((readiness = await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK)
            {
                sinceSignal.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1), "readiness fails at once; output:\n" + logs);
                await Task.Delay(10);
            }

            readiness.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            (await readiness.Content.ReadAsStringAsync()).Should().Contain("[-]shutdown failed");
            await Task.Delay(TimeSpan.FromSeconds(1));
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
            using var tls = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{https}") };
            var mutate = await tls.PostAsync("/mutate", new StringContent(Reviews.ConfigMap("uid-draining").ToJsonString(), Encoding.UTF8, "application/json"));
            mutate.StatusCode.Should().Be(HttpStatusCode.OK);
            ((string?)JsonNode.Parse(await mutate.Content.ReadAsStringAsync())!["response"]!["uid"]).Should().Be("uid-draining");
            sinceSignal.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(4), "that answer came during the delay");

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            process.ExitCode.Should().Be(0, "a drained stop is a clean stop; output:\n" + logs);
            sinceSignal.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3.9), "the process serves for the whole delay");
            var refused = async () =>
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, https);
            };
            await refused.Should().ThrowAsync<SocketException>();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }
    }

    private static async Task<bool> IsReadyAsync(HttpClient http)
    {
        try
        {
            return (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    // As the image runs it: `serve --standalone --config FILE`, as UID 65534 when the tests run as root.
    private Process StartServe(string config, StringBuilder logs)
    {
        var start = new ProcessStartInfo(Environment.IsPrivilegedProcess ? Tools.Require("setpriv") : Tools.Require("dotnet"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = app.WritableDirectory,
        };
        if (Environment.IsPrivilegedProcess)
        {
            foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", Tools.Require("dotnet") })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in new[] { Path.Combine(app.AppDirectory, "egress-tls.dll"), "serve", "--standalone", "--config", config })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["HOME"] = app.WritableDirectory;
        start.Environment["TMPDIR"] = app.WritableDirectory;
        start.Environment["DOTNET_CLI_HOME"] = app.WritableDirectory;
        start.Environment.Remove("KUBECONFIG");
        start.Environment.Remove("KUBERNETES_SERVICE_HOST");
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (logs) { logs.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (logs) { logs.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<int> RunsAsUserAsync(int pid)
    {
        // setpriv execs dotnet in place, so the pid is the application's.
        var status = await File.ReadAllLinesAsync($"/proc/{pid}/status");
        var uid = status.First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        return int.Parse(uid, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
