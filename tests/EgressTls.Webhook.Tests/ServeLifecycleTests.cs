using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Tests.Support;

namespace EgressTls.Webhook.Tests;

/// <summary>`serve` starting and stopping: ports it cannot listen on, and the drain on shutdown.</summary>
public sealed class ServeLifecycleTests
{
    [Theory]
    [InlineData("port", "server.port")]
    [InlineData("metricsPort", "server.metricsPort")]
    public async Task A_port_in_use_is_named_by_its_field_in_one_line_with_exit_2(string key, string field)
    {
        // Kestrel listens on every address ([::], dual-stack); another process holding the same is the usual clash.
        using var busy = new TcpListener(IPAddress.IPv6Any, 0);
        busy.Server.DualMode = true;
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        using var dir = new TempDirectory();
        var ports = key == "port" ? $$"""{"port": {{port}}, "metricsPort": 0}""" : $$"""{"port": 0, "metricsPort": {{port}}}""";
        File.WriteAllText(dir.File("c.json"), $$"""{"server": {{ports}}}""");
        var stderr = new StringWriter();

        var code = await Cli.RunAsync(["serve", "--standalone", "--config", dir.File("c.json")], TextReader.Null, new StringWriter(), stderr, _ => null)
            .WaitAsync(TimeSpan.FromSeconds(60));

        code.Should().Be(2, stderr.ToString());
        stderr.ToString().TrimEnd().Should().Be(
            $"egress-tls serve: {field}: port {port} is already in use by another process; expected a free port (set {field} in the configuration)");
    }

    [Fact]
    public async Task On_shutdown_readyz_fails_at_once_mutate_is_answered_through_the_delay_then_the_ports_close_after_requests_in_flight()
    {
        var delay = TimeSpan.FromSeconds(4);
        await using var server = await WebhookServer.StartAsync(new WebhookConfig(), shutdownDelay: delay);
        var certificate = await server.HandshakeAsync();
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.MetricsPort}") };
        (await metrics.GetAsync("/readyz")).StatusCode.Should().Be(HttpStatusCode.OK);
        // A request in flight when the listeners close: its body arrives only after they have closed.
        using var slowClient = server.Client(certificate);
        var gated = new GatedContent(Encoding.UTF8.GetBytes(Reviews.ConfigMap("uid-in-flight").ToJsonString()));
        var inFlight = slowClient.PostAsync("/mutate", gated);
        await gated.FirstPartSent.WaitAsync(TimeSpan.FromSeconds(10));

        var watch = Stopwatch.StartNew();
        var stopping = server.StopAsync();

        HttpResponseMessage ready;
        while ((ready = await metrics.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK)
        {
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1), "readiness fails at once");
            await Task.Delay(10);
        }

        ready.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await ready.Content.ReadAsStringAsync()).Should().Contain("[-]shutdown failed: shutting down");
        using (var https = server.Client(certificate))
        {
            (await https.GetAsync("/readyz")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        }

        // New connections, as the API server opens while its endpoints still list this replica.
        await Task.Delay(TimeSpan.FromSeconds(1));
        foreach (var uid in new[] { "uid-draining-1", "uid-draining-2" })
        {
            using var fresh = server.Client(await server.HandshakeAsync());
            var answer = await PostAsync(fresh, Reviews.ConfigMap(uid));
            answer["response"]!["uid"]!.GetValue<string>().Should().Be(uid);
        }

        watch.Elapsed.Should().BeLessThan(delay, "the answers above came during the delay");
        stopping.IsCompleted.Should().BeFalse();
        await WaitUntilClosedAsync(server.HttpsPort, TimeSpan.FromSeconds(30));
        watch.Elapsed.Should().BeGreaterThanOrEqualTo(delay - TimeSpan.FromMilliseconds(100), "the listeners close after the delay, not before");
        await WaitUntilClosedAsync(server.MetricsPort, TimeSpan.FromSeconds(5));
        stopping.IsCompleted.Should().BeFalse("the stop waits for the request in flight");

        gated.Release();
        var response = await inFlight.WaitAsync(TimeSpan.FromSeconds(10));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["response"]!["uid"]!.GetValue<string>().Should().Be("uid-in-flight");
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        server.Logs.Events.Select(e => e.RenderMessage(null)).Should().Contain(m => m.StartsWith("Shutting down: /readyz fails from now on", StringComparison.Ordinal));
    }

    private static async Task<JsonObject> PostAsync(HttpClient client, JsonObject review)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(review.ToJsonString()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await client.PostAsync("/mutate", content);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task WaitUntilClosedAsync(int port, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, port);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                // Accepted into the backlog of a listener that was closing: try again until connects are refused.
            }

            watch.Elapsed.Should().BeLessThan(timeout, $"port {port} should close");
            await Task.Delay(20);
        }
    }

    /// <summary>A JSON body sent in two parts: the second only after <see cref="Release"/>.</summary>
    private sealed class GatedContent : HttpContent
    {
        private readonly byte[] body;
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public GatedContent(byte[] body)
        {
            this.body = body;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        public TaskCompletionSource FirstPartSentSource { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstPartSent => FirstPartSentSource.Task;

        public void Release() => released.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var half = body.Length / 2;
            await stream.WriteAsync(body.AsMemory(0, half));
            await stream.FlushAsync();
            // Give the server time to read the headers and enter the endpoint before shutdown is asked for.
            await Task.Delay(300);
            FirstPartSentSource.TrySetResult();
            await released.Task;
            await stream.WriteAsync(body.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
