using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using EgressTls.Webhook.Configuration;
using EgressTls.Webhook.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EgressTls.Webhook.Tests;

/// <summary>POST /mutate over real TLS with AdmissionReviews shaped as the API server sends them.</summary>
public sealed class MutateEndpointTests : IAsyncLifetime
{
    private const long BodyLimit = 64 * 1024;
    private readonly TempDirectory dir = new();
    private readonly X509Certificate2 cert = TestCertificate.Create("mutate");
    private WebhookServer server = null!;
    private HttpClient client = null!;

    public async Task InitializeAsync()
    {
        var (certFile, keyFile) = TestCertificate.WritePem(cert, dir.Path);
        server = await WebhookServer.StartAsync(WebhookServer.ConfigWithCertificate(certFile, keyFile, BodyLimit));
        client = server.Client(cert);
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await server.DisposeAsync();
        dir.Dispose();
    }

    [Theory]
    [InlineData("CREATE", false)]
    [InlineData("CREATE", true)]
    [InlineData("UPDATE", false)]
    [InlineData("DELETE", false)]
    public async Task A_ConfigMap_is_allowed_without_a_patch_and_its_uid_echoed(string operation, bool dryRun)
    {
        var uid = Guid.NewGuid().ToString();

        var (status, review) = await PostAsync(Reviews.ConfigMap(uid, operation, dryRun));

        status.Should().Be(HttpStatusCode.OK);
        review["apiVersion"]!.GetValue<string>().Should().Be("admission.k8s.io/v1");
        review["kind"]!.GetValue<string>().Should().Be("AdmissionReview");
        var response = review["response"]!.AsObject();
        response["uid"]!.GetValue<string>().Should().Be(uid);
        response["allowed"]!.GetValue<bool>().Should().BeTrue();
        response.ContainsKey("patch").Should().BeFalse();
        response.ContainsKey("patchType").Should().BeFalse();
    }

    [Fact]
    public async Task Each_decision_is_logged_once_at_Information_with_PascalCase_properties_and_no_object()
    {
        var uid = Guid.NewGuid().ToString();

        await PostAsync(Reviews.ConfigMap(uid, dryRun: true));

        var line = server.Logs.Decisions(uid).Should().ContainSingle().Subject;
        foreach (var property in new[] { "Uid", "Kind", "Namespace", "Name", "GenerateName", "Operation", "DryRun", "Decision", "Reason", "PatchOps", "Objects", "ElapsedMs" })
        {
            line.Properties.Should().ContainKey(property);
        }

        LogCollector.Scalar(line, "Decision").Should().Be("Skipped");
        LogCollector.Scalar(line, "Reason").Should().Be("unsupported-kind");
        LogCollector.Scalar(line, "DryRun").Should().Be("True");
        line.RenderMessage().Should().NotContain("fast", "the object's data is never logged");
    }

    [Fact]
    public async Task Decisions_and_refusals_are_counted_on_the_metrics_port()
    {
        await PostAsync(Reviews.ConfigMap(Guid.NewGuid().ToString()));
        await PostRawAsync(Encoding.UTF8.GetBytes("{"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.MetricsPort}") };

        var metrics = await http.GetStringAsync("/metrics");

        metrics.Should().Contain("egress_tls_admission_decisions_total{decision=\"Skipped\",reason=\"unsupported-kind\"}")
            .And.Contain("egress_tls_admission_refused_requests_total{code=\"400\"}")
            .And.Contain("egress_tls_admission_duration_seconds_count");
    }

    [Fact]
    public async Task The_metrics_port_listens_to_no_per_request_framework_instruments()
    {
        await PostAsync(Reviews.Pod(Guid.NewGuid().ToString(), new JsonObject { ["egress-tls.io/intercept"] = "github.com" }));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.MetricsPort}") };
        var metrics = await http.GetStringAsync("/metrics");

        // The exporter listens from its first scrape on. An instrument is enabled when a listener subscribed to
        // it, and then every measurement goes through the exporter: Kestrel's, hosting's and HttpClient's
        // instruments record every connection and request, the EgressTls meter's are published.
        using var kestrel = new System.Diagnostics.Metrics.Meter("Microsoft.AspNetCore.Server.Kestrel");
        using var hosting = new System.Diagnostics.Metrics.Meter("Microsoft.AspNetCore.Hosting");
        using var ours = new System.Diagnostics.Metrics.Meter(Kubernetes.Reconciliation.ReconcilerMetrics.MeterName);
        kestrel.CreateUpDownCounter<long>("kestrel.active_connections").Enabled.Should().BeFalse();
        hosting.CreateHistogram<double>("http.server.request.duration").Enabled.Should().BeFalse();
        ours.CreateCounter<long>("egress_tls.probe").Enabled.Should().BeTrue();
        metrics.Should().Contain("egress_tls_admission_duration_seconds_count").And.Contain("system_runtime_dotnet_gc_collections")
            .And.NotContain("prometheus_net_eventcounteradapter", "event counters turn on the framework's event sources");
    }

    [Fact]
    public async Task A_pod_subresource_is_allowed_unchanged()
    {
        // pods/binding: request.kind is the kind of the object sent, Binding, for the resource pods.
        var uid = Guid.NewGuid().ToString();
        var review = Reviews.Request(uid, "", "v1", "Binding", "pods", "CREATE", "team-a", "web",
            new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Binding", ["metadata"] = new JsonObject { ["name"] = "web" } },
            subResource: "binding");

        var (status, answer) = await PostAsync(review);

        status.Should().Be(HttpStatusCode.OK);
        answer["response"]!["allowed"]!.GetValue<bool>().Should().BeTrue();
        answer["response"]!.AsObject().ContainsKey("patch").Should().BeFalse();
    }

    public static TheoryData<string, string, string> MalformedBodies()
    {
        var valid = Reviews.ConfigMap("uid-1").ToJsonString();
        JsonObject Mutate(Action<JsonObject> change)
        {
            var review = JsonNode.Parse(valid)!.AsObject();
            change(review);
            return review;
        }

        return new TheoryData<string, string, string>
        {
            { "empty body", "", "empty request body" },
            { "whitespace", "   \n", "not valid JSON" },
            { "null", "null", "expected a JSON object" },
            { "array", "[]", "expected a JSON object" },
            { "string", "\"AdmissionReview\"", "expected a JSON object" },
            { "truncated", valid[..(valid.Length / 2)], "not valid JSON" },
            { "trailing garbage", valid + "}", "not valid JSON" },
            { "comment", "/* hi */" + valid, "not valid JSON" },
            { "single quotes", valid.Replace("\"", "'", StringComparison.Ordinal), "not valid JSON" },
            { "duplicate key", "{\"apiVersion\":\"admission.k8s.io/v1\",\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", "not valid JSON" },
            { "deep nesting", new string('[', 200) + new string(']', 200), "not valid JSON" },
            { "deep nesting in the object", Mutate(r => r["request"]!["object"]!["data"] = Nest(80)).ToJsonString(), "not valid JSON" },
            { "v1beta1", Mutate(r => r["apiVersion"] = "admission.k8s.io/v1beta1").ToJsonString(), "admissionReviewVersions" },
            { "no apiVersion", Mutate(r => r.Remove("apiVersion")).ToJsonString(), "expected apiVersion admission.k8s.io/v1" },
            { "wrong kind", Mutate(r => r["kind"] = "AdmissionRequest").ToJsonString(), "kind AdmissionReview" },
            { "kind is a number", Mutate(r => r["kind"] = 7).ToJsonString(), "kind AdmissionReview" },
            { "no request", Mutate(r => r.Remove("request")).ToJsonString(), "request: expected an object" },
            { "request is null", Mutate(r => r["request"] = null).ToJsonString(), "request: expected an object" },
            { "request is an array", Mutate(r => r["request"] = new JsonArray()).ToJsonString(), "request: expected an object, found an array" },
            { "no uid", Mutate(r => r["request"]!.AsObject().Remove("uid")).ToJsonString(), "request.uid" },
            { "empty uid", Mutate(r => r["request"]!["uid"] = "").ToJsonString(), "request.uid" },
            { "numeric uid", Mutate(r => r["request"]!["uid"] = 12).ToJsonString(), "request.uid: expected a non-empty string, found a number" },
            { "no operation", Mutate(r => r["request"]!.AsObject().Remove("operation")).ToJsonString(), "request.operation" },
            { "unknown operation", Mutate(r => r["request"]!["operation"] = "PATCH").ToJsonString(), "request.operation" },
            { "no kind", Mutate(r => r["request"]!.AsObject().Remove("kind")).ToJsonString(), "request.kind" },
            { "kind is a string", Mutate(r => r["request"]!["kind"] = "Pod").ToJsonString(), "request.kind" },
            { "kind without version", Mutate(r => r["request"]!["kind"]!.AsObject().Remove("version")).ToJsonString(), "request.kind.version" },
            { "no object on CREATE", Mutate(r => r["request"]!.AsObject().Remove("object")).ToJsonString(), "request.object: required for CREATE" },
            { "null object on CREATE", Mutate(r => r["request"]!["object"] = null).ToJsonString(), "request.object: required for CREATE" },
            { "object is a string", Mutate(r => r["request"]!["object"] = "{}").ToJsonString(), "request.object: expected an object" },
            { "oldObject is an array", Mutate(r => r["request"]!["oldObject"] = new JsonArray()).ToJsonString(), "request.oldObject" },
            { "metadata is a list", Mutate(r => r["request"]!["object"]!["metadata"] = new JsonArray()).ToJsonString(), "request.object.metadata" },
            { "generateName is a number", Mutate(r => r["request"]!["object"]!["metadata"]!["generateName"] = 1).ToJsonString(), "generateName" },
            { "dryRun is a string", Mutate(r => r["request"]!["dryRun"] = "true").ToJsonString(), "request.dryRun" },
            { "namespace is an object", Mutate(r => r["request"]!["namespace"] = new JsonObject()).ToJsonString(), "request.namespace" },
            { "name is a boolean", Mutate(r => r["request"]!["name"] = true).ToJsonString(), "request.name" },
            { "object of another kind", Mutate(r => r["request"]!["object"]!["kind"] = "Secret").ToJsonString(), "request.object: apiVersion \"v1\" and kind \"Secret\"; expected those request.kind names" },
            { "object of another group", Mutate(r => r["request"]!["object"]!["apiVersion"] = "apps/v1").ToJsonString(), "request.object: apiVersion \"apps/v1\"" },
            { "object without a kind", Mutate(r => r["request"]!["object"]!.AsObject().Remove("kind")).ToJsonString(), "request.object: apiVersion \"v1\" and kind (none)" },
            { "oldObject of another kind", Mutate(r => r["request"]!["oldObject"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret" }).ToJsonString(), "request.oldObject: apiVersion" },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_reviews_get_400_with_a_reason(string name, string body, string reasonFragment)
    {
        var (status, text) = await PostRawAsync(Encoding.UTF8.GetBytes(body));

        status.Should().Be(HttpStatusCode.BadRequest, name);
        text.Should().Contain(reasonFragment, name);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x7B, 0x7D })]
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D })]
    [InlineData(new byte[] { 0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x3A, 0x31, 0x7D })]
    public async Task Invalid_utf8_gets_400(byte[] body)
    {
        var (status, text) = await PostRawAsync(body);

        status.Should().Be(HttpStatusCode.BadRequest);
        text.Should().Contain("UTF-8");
    }

    [Fact]
    public async Task Invalid_utf8_inside_an_otherwise_valid_review_gets_400()
    {
        var text = Reviews.ConfigMap("uid-utf8").ToJsonString().Replace("fast", "f\u0001st", StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(text.Replace("\\u0001", "\u0001", StringComparison.Ordinal));
        var index = Array.IndexOf(bytes, (byte)0x01);
        bytes[index] = 0xC0; // an overlong encoding start byte: never valid UTF-8

        var (status, reason) = await PostRawAsync(bytes);

        status.Should().Be(HttpStatusCode.BadRequest);
        reason.Should().Contain("UTF-8");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/yaml")]
    [InlineData("application/json; charset=utf-16")]
    public async Task A_body_that_is_not_declared_json_gets_415(string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Reviews.ConfigMap("uid-ct").ToJsonString()));
        content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);

        var response = await client.PostAsync("/mutate", content);

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        (await response.Content.ReadAsStringAsync()).Should().Contain("Content-Type must be application/json");
    }

    [Fact]
    public async Task A_body_over_the_limit_with_content_length_gets_413_with_the_limit()
    {
        var (status, text) = await PostRawAsync(OversizedReview());

        status.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        text.Should().Contain($"limit of {BodyLimit} bytes").And.Contain("server.maxRequestBodyBytes");
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_gets_413()
    {
        var content = new StreamContent(new MemoryStream(OversizedReview()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mutate") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await response.Content.ReadAsStringAsync()).Should().Contain("server.maxRequestBodyBytes");
    }

    // Bodies refused while being read (chunked, over the limit) make the server grow and drop its pooled
    // buffer; admissions running meanwhile must each still read exactly their own body.
    [Fact]
    public async Task Bodies_refused_while_reading_never_disturb_concurrent_admissions()
    {
        var problems = new System.Collections.Concurrent.ConcurrentBag<string>();
        var oversized = OversizedReview();

        async Task RefusedLoop()
        {
            for (var i = 0; i < 60; i++)
            {
                var content = new StreamContent(new MemoryStream(oversized));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, "/mutate") { Content = content };
                request.Headers.TransferEncodingChunked = true;
                using var response = await client.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.RequestEntityTooLarge)
                {
                    problems.Add($"oversized chunked body: {(int)response.StatusCode}");
                }
            }
        }

        async Task AdmissionLoop(int worker)
        {
            for (var i = 0; i < 60; i++)
            {
                var uid = $"uid-{worker}-{i}";
                var review = Reviews.ConfigMap(uid);
                review["request"]!["object"]!["data"]!["blob"] = new string((char)('a' + worker), 40 * 1024);
                var (status, text) = await PostRawAsync(Encoding.UTF8.GetBytes(review.ToJsonString()));
                if (status != HttpStatusCode.OK || JsonNode.Parse(text)?["response"]?["uid"]?.GetValue<string>() != uid)
                {
                    problems.Add($"{uid}: {(int)status} {text[..Math.Min(text.Length, 200)]}");
                }
            }
        }

        await Task.WhenAll([.. Enumerable.Range(0, 4).Select(_ => RefusedLoop()), .. Enumerable.Range(0, 4).Select(AdmissionLoop)]);

        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task A_Pod_review_carrying_a_Flux_Provider_is_refused_before_anything_is_decided_or_applied()
    {
        // The API server never sends one; deciding it by request.kind (Pod) and rendering by the object (a
        // Provider) rendered Providers with Flux support turned off, and answered one from another's decision.
        var cluster = new FakeCluster();
        await using var fluxOff = await WebhookServer.StartAsync(
            new WebhookConfig { Flux = new FluxConfig { Enabled = false } },
            standalone: false,
            services: services =>
            {
                services.AddSingleton<Kubernetes.IAdmissionContextReader>(cluster);
                services.AddSingleton<Kubernetes.IDesiredStateApplier>(cluster);
            });
        using var fluxOffClient = fluxOff.Client(await fluxOff.HandshakeAsync());

        foreach (var name in new[] { "alpha", "bravo", "alpha", "bravo" })
        {
            var provider = new JsonObject
            {
                ["apiVersion"] = "notification.toolkit.fluxcd.io/v1beta3",
                ["kind"] = "Provider",
                ["metadata"] = new JsonObject
                {
                    ["name"] = name,
                    ["namespace"] = "flux-system",
                    ["labels"] = new JsonObject { ["egress-tls.io/enabled"] = "true" },
                    ["annotations"] = new JsonObject { ["egress-tls.io/mtls"] = "cert=receiver-client" },
                },
                ["spec"] = new JsonObject { ["type"] = "generic", ["address"] = $"https://{name}.example.org/flux" },
            };
            var review = Reviews.Request(Guid.NewGuid().ToString(), "", "v1", "Pod", "pods", "CREATE", "flux-system", name, provider);
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(review.ToJsonString()));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

            var response = await fluxOffClient.PostAsync("/mutate", content);

            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, name);
            (await response.Content.ReadAsStringAsync()).Should().Contain("request.object: apiVersion \"notification.toolkit.fluxcd.io/v1beta3\" and kind \"Provider\"");
        }

        cluster.Applied.Should().BeEmpty();
    }

    [Fact]
    public async Task Get_on_mutate_is_not_an_admission_and_not_a_500()
    {
        var response = await client.GetAsync("/mutate");

        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task No_malformed_input_ever_produced_a_500_or_an_error_log()
    {
        foreach (var row in MalformedBodies())
        {
            var (status, _) = await PostRawAsync(Encoding.UTF8.GetBytes((string)row[1]));
            ((int)status).Should().BeInRange(400, 499, (string)row[0]);
        }

        server.Logs.Events.Should().NotContain(e => e.Level >= Serilog.Events.LogEventLevel.Error);
    }

    private static JsonNode Nest(int depth)
    {
        JsonNode node = new JsonObject();
        for (var i = 0; i < depth; i++)
        {
            node = new JsonObject { ["x"] = node };
        }

        return node;
    }

    private static byte[] OversizedReview()
    {
        var review = Reviews.ConfigMap("uid-big");
        review["request"]!["object"]!["data"]!["blob"] = new string('a', (int)BodyLimit);
        return Encoding.UTF8.GetBytes(review.ToJsonString());
    }

    private async Task<(HttpStatusCode Status, JsonObject Review)> PostAsync(JsonObject review)
    {
        var (status, text) = await PostRawAsync(Encoding.UTF8.GetBytes(review.ToJsonString()));
        status.Should().Be(HttpStatusCode.OK, text);
        return (status, JsonNode.Parse(text)!.AsObject());
    }

    private async Task<(HttpStatusCode Status, string Text)> PostRawAsync(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await client.PostAsync("/mutate", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
