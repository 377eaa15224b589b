using System.Net;
using System.Net.Sockets;
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
}
