using System.Net;
using System.Security.Cryptography.X509Certificates;
using EgressTls.Kubernetes;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EgressTls.Webhook.Tests;

/// <summary>The HTTPS listener over real TLS: protocol versions, certificate reload, ephemeral certificate, health.</summary>
public sealed class ServeTlsTests
{
    [Fact]
    public async Task Tls_1_1_is_refused_and_1_2_and_1_3_are_accepted_by_openssl()
    {
        var openssl = Tools.Require("openssl");
        using var dir = new TempDirectory();
        var cert = TestCertificate.Create("tls-versions");
        var (certFile, keyFile) = TestCertificate.WritePem(cert, dir.Path);
        await using var server = await WebhookServer.StartAsync(WebhookServer.ConfigWithCertificate(certFile, keyFile));
        var connect = $"127.0.0.1:{server.HttpsPort}";

        // SECLEVEL=0 lets OpenSSL 3 actually offer TLS 1.1, so the failure is the server's refusal.
        var tls11 = await Tools.RunAsync(openssl, ["s_client", "-connect", connect, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
        var tls12 = await Tools.RunAsync(openssl, ["s_client", "-connect", connect, "-tls1_2"]);
        var tls13 = await Tools.RunAsync(openssl, ["s_client", "-connect", connect, "-tls1_3"]);

        tls11.ExitCode.Should().NotBe(0, tls11.Stdout + tls11.Stderr);
        (tls11.Stdout + tls11.Stderr).Should().NotContain("no protocols available", "the client must really have offered TLS 1.1");
        tls12.ExitCode.Should().Be(0, tls12.Stderr);
        tls12.Stdout.Should().Contain("Protocol  : TLSv1.2");
        tls13.ExitCode.Should().Be(0, tls13.Stderr);
        tls13.Stdout.Should().Contain("TLSv1.3");
    }

    [Fact]
    public async Task Replacing_the_certificate_files_is_seen_by_the_next_handshake()
    {
        using var dir = new TempDirectory();
        var first = TestCertificate.Create("first");
        var second = TestCertificate.Create("second");
        var (certFile, keyFile) = TestCertificate.WritePem(first, dir.Path);
        await using var server = await WebhookServer.StartAsync(WebhookServer.ConfigWithCertificate(certFile, keyFile));

        (await server.HandshakeAsync()).Thumbprint.Should().Be(first.Thumbprint);
        TestCertificate.WritePem(second, dir.Path);

        (await server.HandshakeAsync()).Thumbprint.Should().Be(second.Thumbprint);
        server.Logs.Events.Should().Contain(e => e.MessageTemplate.Text.StartsWith("Reloaded the serving certificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_Secret_volume_symlink_swap_of_the_data_directory_is_seen_by_the_next_handshake()
    {
        // The kubelet's atomic writer: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>; an update writes a
        // new timestamped directory and renames a new ..data symlink over the old one.
        using var dir = new TempDirectory();
        var first = TestCertificate.Create("volume-first");
        var second = TestCertificate.Create("volume-second");
        TestCertificate.WritePem(first, dir.File("..2026_11_22_10_00_00.1"));
        Directory.CreateSymbolicLink(dir.File("..data"), "..2026_11_22_10_00_00.1");
        File.CreateSymbolicLink(dir.File("tls.crt"), "..data/tls.crt");
        File.CreateSymbolicLink(dir.File("tls.key"), "..data/tls.key");
        await using var server = await WebhookServer.StartAsync(WebhookServer.ConfigWithCertificate(dir.File("tls.crt"), dir.File("tls.key")));
        (await server.HandshakeAsync()).Thumbprint.Should().Be(first.Thumbprint);

        TestCertificate.WritePem(second, dir.File("..2026_11_22_11_00_00.2"));
        Directory.CreateSymbolicLink(dir.File("..data_tmp"), "..2026_11_22_11_00_00.2");
        // rename(2) of the new link over the old one, as the kubelet does (File.Move refuses links to directories).
        (await Tools.RunAsync("mv", ["-T", dir.File("..data_tmp"), dir.File("..data")])).ExitCode.Should().Be(0);
        Directory.Delete(dir.File("..2026_11_22_10_00_00.1"), recursive: true);

        (await server.HandshakeAsync()).Thumbprint.Should().Be(second.Thumbprint);
    }

    [Fact]
    public async Task A_half_written_pair_keeps_the_previous_certificate_until_the_pair_matches()
    {
        using var dir = new TempDirectory();
        var first = TestCertificate.Create("pair-first");
        var second = TestCertificate.Create("pair-second");
        var (certFile, keyFile) = TestCertificate.WritePem(first, dir.Path);
        await using var server = await WebhookServer.StartAsync(WebhookServer.ConfigWithCertificate(certFile, keyFile));

        File.WriteAllText(certFile, second.ExportCertificatePem()); // key not yet updated
        (await server.HandshakeAsync()).Thumbprint.Should().Be(first.Thumbprint);
        File.WriteAllText(keyFile, second.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        (await server.HandshakeAsync()).Thumbprint.Should().Be(second.Thumbprint);
    }

    [Fact]
    public async Task Configured_files_that_appear_after_start_are_served_and_make_the_host_ready()
    {
        using var dir = new TempDirectory();
        var cert = TestCertificate.Create("written-later");
        await using var server = await WebhookServer.StartAsync(WebhookServer.ConfigWithCertificate(dir.File("tls/tls.crt"), dir.File("tls/tls.key")));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.MetricsPort}") };

        var before = await http.GetAsync("/readyz");
        before.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await before.Content.ReadAsStringAsync()).Should().Contain("waiting for the serving certificate files");
        TestCertificate.WritePem(cert, dir.File("tls"));

        (await server.HandshakeAsync()).Thumbprint.Should().Be(cert.Thumbprint);
        (await http.GetAsync("/readyz")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Files_that_do_not_exist_yet_are_named_in_one_warning_and_self_managed_mode_gives_no_file_warning()
    {
        using var dir = new TempDirectory();
        await using var fromFiles = await WebhookServer.StartAsync(WebhookServer.ConfigWithCertificate(dir.File("tls/tls.crt"), dir.File("tls/tls.key")));
        // In a cluster, self-managed mode without files serves its Secret's certificate from memory: no files are involved.
        await using var selfManaged = await WebhookServer.StartAsync(new WebhookConfig(), standalone: false, services: services =>
        {
            services.AddSingleton<IAdmissionContextReader>(new FakeCluster());
            services.AddSingleton<IDesiredStateApplier>(new FakeCluster());
        });

        fromFiles.Logs.Events.Should().ContainSingle(e => e.Level == Serilog.Events.LogEventLevel.Warning
            && e.RenderMessage(null).Contains($"\"{dir.File("tls/tls.crt")}\" and \"{dir.File("tls/tls.key")}\" do not exist yet", StringComparison.Ordinal));
        selfManaged.Logs.Events.Should().NotContain(e => e.MessageTemplate.Text.Contains("do not exist yet", StringComparison.Ordinal)
            || e.MessageTemplate.Text.Contains("EPHEMERAL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_certificate_files_an_ephemeral_self_signed_certificate_is_served_with_a_loud_warning()
    {
        await using var server = await WebhookServer.StartAsync(new WebhookConfig { Namespace = "egress-system" });

        var cert = await server.HandshakeAsync();

        cert.Subject.Should().Be(cert.Issuer);
        cert.GetECDsaPublicKey().Should().NotBeNull();
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        san.EnumerateDnsNames().Should().Contain(["localhost", "egress-tls.egress-system.svc", "egress-tls.egress-system.svc.cluster.local"]);
        san.EnumerateIPAddresses().Should().Contain([IPAddress.Loopback, IPAddress.IPv6Loopback]);
        server.Logs.Events.Should().ContainSingle(e => e.Level == Serilog.Events.LogEventLevel.Warning
            && e.MessageTemplate.Text.Contains("EPHEMERAL SELF-SIGNED", StringComparison.Ordinal));
        using var client = server.Client(cert);
        (await client.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Healthz_and_readyz_answer_on_the_https_and_the_metrics_port_and_metrics_only_on_http()
    {
        using var dir = new TempDirectory();
        var cert = TestCertificate.Create("health");
        var (certFile, keyFile) = TestCertificate.WritePem(cert, dir.Path);
        await using var server = await WebhookServer.StartAsync(WebhookServer.ConfigWithCertificate(certFile, keyFile));
        using var https = server.Client(cert);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.MetricsPort}") };

        foreach (var client in new[] { https, http })
        {
            (await client.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK);
            var ready = await client.GetAsync("/readyz");
            ready.StatusCode.Should().Be(HttpStatusCode.OK);
            (await ready.Content.ReadAsStringAsync()).Should().Contain("[+]serving-certificate ok");
        }

        (await http.GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await https.GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await http.PostAsync("/mutate", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))).StatusCode
            .Should().Be(HttpStatusCode.NotFound, "admission is only served over TLS");
    }

    [Fact]
    public async Task Readyz_fails_when_a_registered_readiness_check_fails()
    {
        await using var server = await WebhookServer.StartAsync(new WebhookConfig(), services: services =>
            services.AddHealthChecks().AddCheck(
                "ca-loaded",
                () => HealthCheckResult.Unhealthy("the CA Secret is not loaded yet"),
                tags: [Serving.HealthEndpoints.ReadyTag]));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.MetricsPort}") };

        var ready = await http.GetAsync("/readyz");

        ready.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await ready.Content.ReadAsStringAsync()).Should().Contain("[-]ca-loaded failed: the CA Secret is not loaded yet");
        (await http.GetAsync("/healthz")).StatusCode.Should().Be(HttpStatusCode.OK, "liveness does not depend on readiness");
    }
}
