using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Security.Authentication;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EgressTls.LoadBench.Targets;

/// <summary>
/// The floor: the least an admission webhook can do on this machine. Kestrel with the same TLS and HTTP
/// settings as <c>serve</c> (slim builder, HTTP/1.1 and h2, TLS 1.2/1.3, same certificate); it reads the
/// whole body, parses it as JSON (<see cref="JsonDocument"/>, straight from the request pipe) and answers
/// <c>allowed: true</c> with the request uid and no patch. Anything the real server costs beyond this is
/// the admission path itself.
/// </summary>
public static class FloorServer
{
    /// <summary>Builds and starts the floor on 127.0.0.1:<paramref name="port"/> (0 = any free port).</summary>
    /// <returns>The running application and the port it listens on.</returns>
    public static async Task<(WebApplication App, int Port)> StartAsync(string certFile, string keyFile, int port)
    {
        var certificate = BenchCertificate.Load(certFile, keyFile);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "egress-tls-floor" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificate;
                    https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                });
            });
        });

        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address).Port);
    }

    /// <summary>
    /// The child-process entry point (<c>floor-server --cert F --key F</c>): prints <c>listening PORT</c>
    /// and serves until standard input closes (the benchmark exits or kills it).
    /// </summary>
    public static async Task<int> RunChildAsync(string certFile, string keyFile)
    {
        var (app, port) = await StartAsync(certFile, keyFile, 0).ConfigureAwait(false);
        await using (app.ConfigureAwait(false))
        {
            await Console.Out.WriteLineAsync($"listening {port}").ConfigureAwait(false);
            await Console.Out.FlushAsync().ConfigureAwait(false);
            // Standard input is the lifeline: when the parent goes, so does the floor.
            await Task.Run(() => Console.In.ReadToEnd()).ConfigureAwait(false);
            await app.StopAsync().ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Path != "/mutate")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var reader = context.Request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            if (read.IsCompleted || read.IsCanceled)
            {
                break;
            }

            // Keep everything buffered until the body is complete.
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        string? uid;
        try
        {
            using var document = JsonDocument.Parse(read.Buffer);
            uid = document.RootElement.TryGetProperty("request", out var request)
                && request.TryGetProperty("uid", out var uidElement) ? uidElement.GetString() : null;
        }
        catch (JsonException)
        {
            uid = null;
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }

        if (uid is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("apiVersion", "admission.k8s.io/v1");
            writer.WriteString("kind", "AdmissionReview");
            writer.WriteStartObject("response");
            writer.WriteString("uid", uid);
            writer.WriteBoolean("allowed", true);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.BodyWriter.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
