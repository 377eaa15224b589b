using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace EgressTls.Webhook.Tests.Support;

/// <summary>The real host on 127.0.0.1 with ephemeral ports, real Kestrel, real TLS.</summary>
internal sealed class WebhookServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private Task? stopping;

    private WebhookServer(WebApplication app, LogCollector logs)
    {
        this.app = app;
        Logs = logs;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        HttpsPort = new Uri(addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal))).Port;
        MetricsPort = new Uri(addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal))).Port;
    }

    public int HttpsPort { get; }

    public int MetricsPort { get; }

    public LogCollector Logs { get; }

    /// <summary>Starts the host. Tests stop it without the drain delay unless they give one.</summary>
    public static async Task<WebhookServer> StartAsync(
        WebhookConfig config, bool standalone = true, Action<IServiceCollection>? services = null, TimeSpan shutdownDelay = default)
    {
        config = config with { Server = config.Server with { Port = 0, MetricsPort = 0, ShutdownDelay = shutdownDelay } };
        var logs = new LogCollector();
        var app = WebhookHost.Build(new ServeSettings(config, standalone, IPAddress.Loopback), services, logs);
        await app.StartAsync();
        return new WebhookServer(app, logs);
    }

    public static WebhookConfig ConfigWithCertificate(string certFile, string keyFile, long maxBody = 3 * 1024 * 1024) =>
        new() { Server = new ServerConfig { CertFile = certFile, KeyFile = keyFile, MaxRequestBodyBytes = maxBody } };

    /// <summary>An HttpClient that trusts exactly <paramref name="trusted"/> (by SHA-256 of the certificate).</summary>
    public HttpClient Client(X509Certificate2 trusted)
    {
        var expected = trusted.GetCertHashString(HashAlgorithmName.SHA256);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                    cert is not null && cert.GetCertHashString(HashAlgorithmName.SHA256) == expected,
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{HttpsPort}") };
    }

    /// <summary>A fresh TLS handshake; returns the certificate the server presented.</summary>
    public async Task<X509Certificate2> HandshakeAsync()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, HttpsPort);
        X509Certificate? seen = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, cert, _, _) =>
        {
            seen = cert;
            return true;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" });
        return X509CertificateLoader.LoadCertificate(seen!.GetRawCertData());
    }

    /// <summary>Stops the host as SIGTERM does: the drain, then Kestrel's graceful stop.</summary>
    public Task StopAsync()
    {
        lock (app)
        {
            return stopping ??= app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await app.DisposeAsync();
    }
}
