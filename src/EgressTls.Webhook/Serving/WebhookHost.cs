using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using EgressTls.Kubernetes;
using EgressTls.Webhook.Admission;
using EgressTls.Webhook.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace EgressTls.Webhook.Serving;

/// <summary>
/// Builds the <c>serve</c> application: Kestrel with HTTPS (TLS 1.2/1.3, reloading certificate) on
/// server.port and plain HTTP on server.metricsPort, Serilog compact JSON on stdout, and the endpoints.
/// </summary>
internal static class WebhookHost
{
    /// <summary>Builds (does not start) the application.</summary>
    /// <param name="settings">Configuration and mode.</param>
    /// <param name="configureServices">Runs last: registers the cluster implementations, or test doubles.</param>
    /// <param name="extraLogSink">An additional Serilog sink (tests read the decision lines from it).</param>
    /// <exception cref="ConfigException">The certificate files cannot be loaded.</exception>
    public static WebApplication Build(
        ServeSettings settings, Action<IServiceCollection>? configureServices = null, ILogEventSink? extraLogSink = null)
    {
        var config = settings.Config;
        MetricsExport.Configure();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "egress-tls",
            ContentRootPath = AppContext.BaseDirectory,
        });

        var level = Enum.Parse<LogEventLevel>(config.LogLevel, ignoreCase: true);
        var console = new BufferedConsoleSink(new RenderedCompactJsonFormatter());
        var serilog = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Sink(console);
        if (extraLogSink is not null)
        {
            serilog = serilog.WriteTo.Sink(extraLogSink);
        }

        var logger = serilog.CreateLogger();
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(logger, dispose: true);

        using var bootstrapFactory = new Serilog.Extensions.Logging.SerilogLoggerFactory(logger);
        var certificate = LoadCertificate(settings, bootstrapFactory.CreateLogger("EgressTls.Webhook.Serving.ServingCertificate"));

        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            Listen(kestrel, settings.BindAddress, config.Server.Port, https =>
            {
                https.Protocols = HttpProtocols.Http1AndHttp2;
                https.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = certificate.Current,
                        // TLS 1.0/1.1 are deprecated (RFC 8996); the API server speaks 1.2+.
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                        ClientCertificateRequired = false,
                    }),
                });
            });
            Listen(kestrel, settings.BindAddress, config.Server.MetricsPort, http => http.Protocols = HttpProtocols.Http1);
        });

        var services = builder.Services;
        // The host's stop budget covers the drain delay and then Kestrel's wait for requests in flight.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = config.Server.ShutdownDelay + config.Server.ShutdownTimeout);
        services.AddSingleton(settings);
        services.AddSingleton(config);
        services.AddSingleton(certificate);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new AdmissionSettings(
            RenderOptionsFactory.Create(config), settings.Standalone, config.Admission.ApplyTimeout, config.Flux.Enabled,
            config.Server.MaxRequestBodyBytes));
        services.AddSingleton(new Cluster.CurrentRenderOptions(RenderOptionsFactory.Create(config)));
        services.AddSingleton(new AdmissionMemo());
        services.AddSingleton(new DecisionLog(console, extraLogSink, level <= LogEventLevel.Information));
        services.AddSingleton<AdmissionHandler>();
        services.AddSingleton<MutateEndpoint>();
        services.AddSingleton<ShutdownDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownDrain>());
        services.AddHealthChecks()
            .AddCheck<ServingCertificateHealthCheck>("serving-certificate", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<ShutdownDrain>("shutdown", tags: [HealthEndpoints.ReadyTag]);
        if (settings.Standalone)
        {
            services.AddSingleton<IAdmissionContextReader, StandaloneAdmissionContextReader>();
            services.AddSingleton<IDesiredStateApplier, StandaloneDesiredStateApplier>();
        }

        configureServices?.Invoke(services);

        var app = builder.Build();
        app.Use(HandleUnexpectedErrorsAsync);
        app.Use(RouteByPortAsync);
        HealthEndpoints.Map(app);
        // A plain request delegate with the endpoint resolved once: binding it as a handler parameter would make a
        // dependency-injection scope for every request.
        var mutate = new Lazy<MutateEndpoint>(app.Services.GetRequiredService<MutateEndpoint>);
        app.MapPost("/mutate", context => mutate.Value.HandleAsync(context));
        app.MapMetrics("/metrics");

        var startupLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EgressTls.Webhook");
        if (!certificate.FromFiles && !certificate.Supplied)
        {
            startupLog.LogWarning(
                "NO SERVING CERTIFICATE CONFIGURED (server.certFile/server.keyFile): serving HTTPS with an EPHEMERAL SELF-SIGNED certificate "
                + "{Thumbprint} for {DnsNames}; no API server will trust it. Use this only for local testing",
                certificate.Certificate.Thumbprint, string.Join(",", EphemeralCertificate.DnsNames(config.ServingCertificate.ServiceName, config.Namespace)));
        }

        else if (certificate.FromFiles && !certificate.Loaded)
        {
            startupLog.LogWarning(
                "The serving certificate files {CertFile} and {KeyFile} do not exist yet: not ready until they appear "
                + "(an ephemeral self-signed certificate answers meanwhile)", config.Server.CertFile, config.Server.KeyFile);
        }

        if (settings.Standalone)
        {
            startupLog.LogWarning(
                "Standalone mode: no cluster access; namespaces are assumed opted in, referenced Secrets are assumed to exist, nothing is applied");
        }

        return app;
    }

    private static void Listen(KestrelServerOptions kestrel, IPAddress? address, int port, Action<ListenOptions> configure)
    {
        if (address is null)
        {
            kestrel.ListenAnyIP(port, configure);
        }
        else
        {
            kestrel.Listen(address, port, configure);
        }
    }

    private static ServingCertificate LoadCertificate(ServeSettings settings, Microsoft.Extensions.Logging.ILogger logger)
    {
        var config = settings.Config;
        X509Certificate2 Ephemeral() => EphemeralCertificate.Create(config.ServingCertificate.ServiceName, config.Namespace, DateTimeOffset.UtcNow);
        if (config.Server.CertFile.Length > 0)
        {
            return ServingCertificate.FromPemFiles(config.Server.CertFile, config.Server.KeyFile, Ephemeral, logger);
        }

        // In a cluster, self-managed mode serves the certificate of its Secret from memory (Cluster.SelfManagedCertificateService).
        return !settings.Standalone && config.ServingCertificate.Mode == "self-managed"
            ? ServingCertificate.Pending(Ephemeral(), logger)
            : ServingCertificate.Ephemeral(Ephemeral(), logger);
    }

    // /mutate only over HTTPS; /metrics only on the plain-HTTP port (it is for the cluster's scraper, not the API server).
    private static Task RouteByPortAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path;
        if ((path.StartsWithSegments("/mutate") && !context.Request.IsHttps)
            || (path.StartsWithSegments("/metrics") && context.Request.IsHttps))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return next(context);
    }

    // Bugs only: malformed input is answered earlier with a 4xx. The body says nothing about the request.
    private static async Task HandleUnexpectedErrorsAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The API server gave up (its webhook timeout); nobody is listening for an answer.
        }
        catch (Exception ex)
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("EgressTls.Webhook");
            logger.LogError(ex, "Unhandled error serving {Method} {Path}", context.Request.Method, context.Request.Path.Value);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("internal error in egress-tls; see its log\n").ConfigureAwait(false);
            }
        }
    }
}
