using EgressTls.Kubernetes;
using EgressTls.Testing;

namespace EgressTls.Kubernetes.Tests;

public sealed class CaSecretStoreTests : IAsyncLifetime
{
    private StandInApiServer server = null!;
    private readonly TestCaGenerator generator = new();

    public async Task InitializeAsync() => server = await StandInApiServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    private CaSecretStore Store(CaStoreOptions? options = null) =>
        new(KubernetesClientFactory.ForHost(server.Url), options ?? new CaStoreOptions(), generator,
            new ApiCallPipeline(new ApiRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50) }));

    private static CancellationToken Budget() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    [Fact]
    public async Task First_start_creates_the_ca_secret_with_tls_keys_only_in_the_webhook_namespace()
    {
        var ca = await Store().LoadOrCreateAsync(Budget());

        ca!.Created.Should().BeTrue();
        var secret = server.Find("secrets", "egress-tls", "egress-tls-ca")!;
        ((string?)secret["type"]).Should().Be("kubernetes.io/tls");
        secret["data"]!.AsObject().Select(p => p.Key).Should().BeEquivalentTo("tls.crt", "tls.key");
        server.RequestLog.Where(e => e.IsWrite).Should().ContainSingle().Which.Verb.Should().Be("create");
    }

    [Fact]
    public async Task Restart_loads_the_existing_ca_and_never_makes_a_new_one()
    {
        var first = await Store().LoadOrCreateAsync(Budget());
        server.ClearLog();

        var second = await Store().LoadOrCreateAsync(Budget());

        second!.Created.Should().BeFalse();
        second.KeyPair.CertificatePem.Should().Be(first!.KeyPair.CertificatePem);
        generator.Generated.Should().Be(1);
        server.RequestLog.Should().NotContain(e => e.IsWrite);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(20)]
    public async Task Replicas_starting_together_create_one_ca_and_all_load_it(int replicas)
    {
        var start = new TaskCompletionSource();
        var tasks = Enumerable.Range(0, replicas).Select(_ => Task.Run(async () =>
        {
            var store = Store();
            await start.Task;
            return await store.LoadOrCreateAsync(Budget());
        })).ToList();
        start.SetResult();

        var results = await Task.WhenAll(tasks);

        server.All("secrets", "egress-tls").Should().ContainSingle();
        results.Select(r => r!.KeyPair.CertificatePem).Distinct().Should().ContainSingle();
        results.Count(r => r!.Created).Should().Be(1);
        server.RequestLog.Count(e => e.Verb == "create" && e.StatusCode == 201).Should().Be(1);
    }

    [Fact]
    public async Task A_create_whose_answer_was_lost_reads_back_the_stored_ca()
    {
        server.AddFault(Fault.DropResponse("create", "secrets"));

        var ca = await Store().LoadOrCreateAsync(Budget());

        server.RequestLog.Count(e => e.Verb == "create").Should().Be(2, "the lost create was retried and met 409");
        server.All("secrets", "egress-tls").Should().ContainSingle();
        generator.Generated.Should().Be(1);
        ((string)server.Find("secrets", "egress-tls", "egress-tls-ca")!["data"]!["tls.crt"]!).Should()
            .Be(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ca!.KeyPair.CertificatePem)));
    }

    [Fact]
    public async Task A_damaged_ca_secret_is_an_error_and_is_not_overwritten()
    {
        server.Seed(ApplierTests.Secret("egress-tls", "egress-tls-ca", ("tls.crt", "garbage")));

        var act = () => Store().LoadOrCreateAsync(Budget());

        (await act.Should().ThrowAsync<CaStoreException>()).Which.Message.Should().Contain("has no tls.key");
        server.RequestLog.Should().NotContain(e => e.IsWrite);
    }

    [Fact]
    public async Task Import_reads_the_user_secret_with_its_chain_and_writes_nothing()
    {
        var pair = generator.Generate();
        server.Seed(ApplierTests.Secret("egress-tls", "my-ca", ("tls.crt", pair.CertificatePem), ("tls.key", pair.PrivateKeyPem), ("ca.crt", "ROOT")));

        var ca = await Store(new CaStoreOptions { Source = CaSource.Import, ImportSecretName = "my-ca" }).LoadOrCreateAsync(Budget());

        ca!.KeyPair.CertificatePem.Should().Be(pair.CertificatePem);
        ca.KeyPair.ChainPem.Should().Be("ROOT");
        server.RequestLog.Should().NotContain(e => e.IsWrite);
    }

    [Theory]
    [InlineData("other-ns/my-ca")]
    [InlineData("")]
    public async Task Import_only_reads_the_webhook_namespace(string name)
    {
        var act = () => Store(new CaStoreOptions { Source = CaSource.Import, ImportSecretName = name }).LoadOrCreateAsync(Budget());

        await act.Should().ThrowAsync<CaStoreException>();
        server.RequestLog.Should().BeEmpty();
    }

    [Fact]
    public async Task Cert_manager_mode_holds_no_ca()
    {
        (await Store(new CaStoreOptions { Source = CaSource.CertManager }).LoadOrCreateAsync(Budget())).Should().BeNull();
        server.RequestLog.Should().BeEmpty();
    }

    [Fact]
    public void Key_material_is_redacted_from_string_forms()
    {
        var pair = generator.Generate();
        pair.ToString().Should().NotContain("PRIVATE KEY");
        new StoredCa(pair, true, "1").ToString().Should().NotContain("PRIVATE KEY");
    }
}
