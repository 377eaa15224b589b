using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Kubernetes;
using EgressTls.Testing;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EgressTls.Kubernetes.Tests.StandIn;

/// <summary>The test stand-in behaves like kube-apiserver where egress-tls depends on it, through the real client.</summary>
public sealed class StandInApiServerTests : IAsyncLifetime
{
    private StandInApiServer server = null!;
    private IKubernetes client = null!;

    public async Task InitializeAsync()
    {
        server = await StandInApiServer.StartAsync();
        client = KubernetesClientFactory.ForHost(server.Url);
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    private static V1Secret Secret(string name, string ns = "team-a", Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
        Type = "Opaque",
        Data = new Dictionary<string, byte[]> { ["k"] = "v"u8.ToArray() },
    };

    private static async Task<HttpOperationException> Fails(Func<Task> call) =>
        (await call.Should().ThrowAsync<HttpOperationException>()).Which;

    private static JsonObject StatusOf(HttpOperationException e) => JsonNode.Parse(e.Response.Content)!.AsObject();

    [Fact]
    public async Task Get_of_a_missing_object_is_404_with_a_not_found_status()
    {
        var e = await Fails(() => client.CoreV1.ReadNamespacedSecretAsync("nope", "team-a"));

        e.Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        ((string?)StatusOf(e)["reason"]).Should().Be("NotFound");
        ((string?)StatusOf(e)["kind"]).Should().Be("Status");
    }

    [Fact]
    public async Task Create_sets_identity_and_a_second_create_is_409_already_exists()
    {
        var created = await client.CoreV1.CreateNamespacedSecretAsync(Secret("s"), "team-a");

        created.Metadata.Uid.Should().NotBeNullOrEmpty();
        created.Metadata.CreationTimestamp.Should().NotBeNull();
        long.Parse(created.Metadata.ResourceVersion).Should().BeGreaterThan(0);
        var e = await Fails(() => client.CoreV1.CreateNamespacedSecretAsync(Secret("s"), "team-a"));
        e.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        ((string?)StatusOf(e)["reason"]).Should().Be("AlreadyExists");
    }

    [Fact]
    public async Task Update_with_a_stale_resource_version_is_409_conflict()
    {
        var created = await client.CoreV1.CreateNamespacedSecretAsync(Secret("s"), "team-a");
        created.Data["k"] = "v2"u8.ToArray();
        var updated = await client.CoreV1.ReplaceNamespacedSecretAsync(created, "s", "team-a");
        long.Parse(updated.Metadata.ResourceVersion).Should().BeGreaterThan(long.Parse(created.Metadata.ResourceVersion));

        created.Data["k"] = "v3"u8.ToArray(); // still carries the old resourceVersion
        var e = await Fails(() => client.CoreV1.ReplaceNamespacedSecretAsync(created, "s", "team-a"));

        e.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        ((string?)StatusOf(e)["reason"]).Should().Be("Conflict");
    }

    [Fact]
    public async Task Resource_versions_increase_monotonically_and_generation_follows_spec_changes()
    {
        var policy = new JsonObject
        {
            ["apiVersion"] = "cilium.io/v2",
            ["kind"] = "CiliumNetworkPolicy",
            ["metadata"] = new JsonObject { ["name"] = "p" },
            ["spec"] = new JsonObject { ["endpointSelector"] = new JsonObject() },
        };
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(policy, V1Patch.PatchType.ApplyPatch), "cilium.io", "v2", "team-a", "ciliumnetworkpolicies", "p", fieldManager: "m", force: true);
        var first = server.Find("ciliumnetworkpolicies", "team-a", "p")!;
        policy["metadata"]!["labels"] = new JsonObject { ["a"] = "b" };
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(policy, V1Patch.PatchType.ApplyPatch), "cilium.io", "v2", "team-a", "ciliumnetworkpolicies", "p", fieldManager: "m", force: true);
        var labelled = server.Find("ciliumnetworkpolicies", "team-a", "p")!;
        policy["spec"]!["endpointSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["x"] = "y" } };
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(policy, V1Patch.PatchType.ApplyPatch), "cilium.io", "v2", "team-a", "ciliumnetworkpolicies", "p", fieldManager: "m", force: true);
        var respec = server.Find("ciliumnetworkpolicies", "team-a", "p")!;

        long Rv(JsonObject o) => long.Parse((string)o["metadata"]!["resourceVersion"]!);
        long Gen(JsonObject o) => o["metadata"]!["generation"]!.GetValue<long>();
        Rv(labelled).Should().BeGreaterThan(Rv(first));
        Rv(respec).Should().BeGreaterThan(Rv(labelled));
        (Gen(first), Gen(labelled), Gen(respec)).Should().Be((1L, 1L, 2L));
    }

    [Fact]
    public async Task Server_side_apply_conflicts_between_managers_unless_forced()
    {
        JsonObject Cm(string value) => new()
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "c", ["namespace"] = "team-a" },
            ["data"] = new JsonObject { ["key"] = value },
        };
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(Cm("a"), V1Patch.PatchType.ApplyPatch), "c", "team-a", fieldManager: "alice");

        var e = await Fails(() => client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(Cm("b"), V1Patch.PatchType.ApplyPatch), "c", "team-a", fieldManager: "bob"));
        e.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        ((string?)StatusOf(e)["message"]).Should().Contain("conflict with \"alice\"");

        // Same value: no conflict, co-owned.
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(Cm("a"), V1Patch.PatchType.ApplyPatch), "c", "team-a", fieldManager: "bob");
        server.Managers("configmaps", "team-a", "c").Keys.Should().BeEquivalentTo("alice", "bob");

        var forced = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(Cm("b"), V1Patch.PatchType.ApplyPatch), "c", "team-a", fieldManager: "bob", force: true);
        forced.Data["key"].Should().Be("b");
        server.Managers("configmaps", "team-a", "c").Keys.Should().Equal("bob");
        forced.Metadata.ManagedFields.Should().ContainSingle(m => m.Manager == "bob" && m.Operation == "Apply");
    }

    [Fact]
    public async Task Server_side_apply_removes_fields_the_manager_no_longer_applies_and_keeps_others()
    {
        JsonObject Cm(params string[] keys) => new()
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "c", ["namespace"] = "team-a" },
            ["data"] = new JsonObject(keys.Select(k => KeyValuePair.Create(k, (JsonNode?)JsonValue.Create("v")))),
        };
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(Cm("a", "b"), V1Patch.PatchType.ApplyPatch), "c", "team-a", fieldManager: "alice");
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(Cm("z"), V1Patch.PatchType.ApplyPatch), "c", "team-a", fieldManager: "bob");

        var result = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(Cm("a"), V1Patch.PatchType.ApplyPatch), "c", "team-a", fieldManager: "alice");

        result.Data.Keys.Should().BeEquivalentTo("a", "z");
    }

    [Fact]
    public async Task An_unchanged_apply_does_not_bump_the_resource_version()
    {
        var cm = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "c", ["namespace"] = "team-a" },
            ["data"] = new JsonObject { ["k"] = "v" },
        };
        var first = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(cm, V1Patch.PatchType.ApplyPatch), "c", "team-a", fieldManager: "m");
        var second = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(cm, V1Patch.PatchType.ApplyPatch), "c", "team-a", fieldManager: "m");

        second.Metadata.ResourceVersion.Should().Be(first.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Dry_run_stores_nothing()
    {
        await client.CoreV1.CreateNamespacedSecretAsync(Secret("s"), "team-a", dryRun: "All");
        var cm = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "c", ["namespace"] = "team-a" },
        };
        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(cm, V1Patch.PatchType.ApplyPatch), "c", "team-a", fieldManager: "m", dryRun: "All");

        server.All("secrets").Should().BeEmpty();
        server.All("configmaps").Should().BeEmpty();
        server.RequestLog.Should().OnlyContain(e => e.DryRun);
    }

    [Fact]
    public async Task List_filters_by_label_and_field_selectors()
    {
        await client.CoreV1.CreateNamespacedSecretAsync(Secret("a", labels: new() { ["tier"] = "web", ["app"] = "x" }), "team-a");
        await client.CoreV1.CreateNamespacedSecretAsync(Secret("b", labels: new() { ["tier"] = "db" }), "team-a");
        await client.CoreV1.CreateNamespacedSecretAsync(Secret("c", ns: "team-b", labels: new() { ["tier"] = "web" }), "team-b");

        async Task<IEnumerable<string>> Names(string? ns, string? labels = null, string? fields = null) =>
            (ns is null
                ? await client.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: labels, fieldSelector: fields)
                : await client.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: labels, fieldSelector: fields)).Items.Select(s => s.Metadata.Name);

        (await Names("team-a", "tier=web")).Should().Equal("a");
        (await Names(null, "tier in (web,db)")).Should().BeEquivalentTo("a", "b", "c");
        (await Names(null, "tier!=web")).Should().Equal("b");
        (await Names(null, "app")).Should().Equal("a");
        (await Names(null, "tier notin (web),!app")).Should().Equal("b");
        (await Names(null, fields: "metadata.name=c")).Should().Equal("c");
        (await Names("team-a", fields: "metadata.name=c")).Should().BeEmpty();
    }

    [Fact]
    public async Task Watch_streams_events_after_the_given_resource_version()
    {
        await client.CoreV1.CreateNamespacedSecretAsync(Secret("before"), "team-a");
        var list = await client.CoreV1.ListNamespacedSecretAsync("team-a");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = new List<(WatchEventType, string)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, s) in client.CoreV1.WatchListNamespacedSecretAsync("team-a", resourceVersion: list.Metadata.ResourceVersion, cancellationToken: cts.Token))
            {
                events.Add((type, s.Metadata.Name));
                if (type == WatchEventType.Deleted)
                {
                    break;
                }
            }
        });
        while (server.OpenWatches == 0)
        {
            await Task.Delay(10, cts.Token);
        }

        var created = await client.CoreV1.CreateNamespacedSecretAsync(Secret("after"), "team-a");
        created.Data["k"] = "v2"u8.ToArray();
        await client.CoreV1.ReplaceNamespacedSecretAsync(created, "after", "team-a");
        await client.CoreV1.DeleteNamespacedSecretAsync("after", "team-a");
        await watching.WaitAsync(cts.Token);

        events.Should().Equal((WatchEventType.Added, "after"), (WatchEventType.Modified, "after"), (WatchEventType.Deleted, "after"));
    }

    [Fact]
    public async Task Watch_without_a_version_starts_with_the_current_objects()
    {
        await client.CoreV1.CreateNamespacedSecretAsync(Secret("existing"), "team-a");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await foreach (var (type, s) in client.CoreV1.WatchListNamespacedSecretAsync("team-a", cancellationToken: cts.Token))
        {
            (type, s.Metadata.Name).Should().Be((WatchEventType.Added, "existing"));
            break;
        }
    }

    [Fact]
    public async Task Watch_from_a_compacted_version_is_an_error_event_holding_a_410_status()
    {
        await client.CoreV1.CreateNamespacedSecretAsync(Secret("s"), "team-a");
        var list = await client.CoreV1.ListNamespacedSecretAsync("team-a");
        await client.CoreV1.CreateNamespacedSecretAsync(Secret("t"), "team-a");
        server.Compact();

        var errors = new List<Exception>();
        var events = 0;
        await foreach (var _ in client.CoreV1.WatchListNamespacedSecretAsync("team-a", resourceVersion: list.Metadata.ResourceVersion, onError: errors.Add))
        {
            events++;
        }

        events.Should().Be(0);
        var status = errors.Should().ContainSingle().Which.Should().BeOfType<KubernetesException>().Subject.Status;
        (status.Code, status.Reason).Should().Be((410, "Expired"));
        server.RequestLog.Should().Contain(e => e.Verb == "watch" && e.StatusCode == 200);
    }

    [Fact]
    public async Task Delete_preconditions_on_uid_and_resource_version_fail_with_409_conflict()
    {
        var created = await client.CoreV1.CreateNamespacedSecretAsync(Secret("s"), "team-a");

        var staleVersion = await Fails(() => client.CoreV1.DeleteNamespacedSecretAsync("s", "team-a",
            new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = "1" } }));
        var otherUid = await Fails(() => client.CoreV1.DeleteNamespacedSecretAsync("s", "team-a",
            new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = "not-the-uid" } }));

        staleVersion.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        staleVersion.Response.Content.Should().Contain("Precondition failed");
        otherUid.Response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        server.Find("secrets", "team-a", "s").Should().NotBeNull();

        await client.CoreV1.DeleteNamespacedSecretAsync("s", "team-a",
            new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = created.Metadata.Uid, ResourceVersion = created.Metadata.ResourceVersion } });
        server.Find("secrets", "team-a", "s").Should().BeNull();
    }

    [Fact]
    public async Task Delete_is_404_when_absent_and_collects_namespaced_dependents()
    {
        var owner = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "owner" } }, "team-a");
        var dependent = Secret("dep");
        dependent.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner", Uid = owner.Metadata.Uid }];
        await client.CoreV1.CreateNamespacedSecretAsync(dependent, "team-a");

        await client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "team-a");

        server.All("secrets").Should().BeEmpty();
        (await Fails(() => client.CoreV1.DeleteNamespacedConfigMapAsync("owner", "team-a"))).Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Merge_and_json_patches_are_applied()
    {
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" }, Data = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } }, "team-a");

        await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"a\":null,\"c\":\"3\"}}", V1Patch.PatchType.MergePatch), "c", "team-a");
        var result = await client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("[{\"op\":\"replace\",\"path\":\"/data/b\",\"value\":\"22\"}]", V1Patch.PatchType.JsonPatch), "c", "team-a");

        result.Data.Should().BeEquivalentTo(new Dictionary<string, string> { ["b"] = "22", ["c"] = "3" });
    }

    [Fact]
    public async Task Flux_providers_are_served_in_v1beta3_and_v1beta2()
    {
        var provider = new JsonObject
        {
            ["apiVersion"] = "notification.toolkit.fluxcd.io/v1beta3",
            ["kind"] = "Provider",
            ["metadata"] = new JsonObject { ["name"] = "hook", ["namespace"] = "flux-system" },
            ["spec"] = new JsonObject { ["type"] = "generic", ["address"] = "http://example.test" },
        };
        await client.CustomObjects.CreateNamespacedCustomObjectAsync(provider, "notification.toolkit.fluxcd.io", "v1beta3", "flux-system", "providers");

        var old = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync("notification.toolkit.fluxcd.io", "v1beta2", "flux-system", "providers", "hook");

        old.GetProperty("apiVersion").GetString().Should().Be("notification.toolkit.fluxcd.io/v1beta2");
    }

    [Fact]
    public async Task Faults_are_count_limited_and_logged_with_their_status()
    {
        server.AddFault(Fault.TooManyRequests("get", "secrets", times: 2, retryAfterSeconds: 3));

        var first = await Fails(() => client.CoreV1.ReadNamespacedSecretAsync("x", "team-a"));
        await Fails(() => client.CoreV1.ReadNamespacedSecretAsync("x", "team-a"));
        var third = await Fails(() => client.CoreV1.ReadNamespacedSecretAsync("x", "team-a"));

        first.Response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        first.Response.Headers["Retry-After"].Should().Equal("3");
        third.Response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        server.RequestLog.Select(e => e.StatusCode).Should().Equal(429, 429, 404);
        server.PendingFaults.Should().Be(0);
    }

    [Fact]
    public async Task Dropped_connections_surface_as_transport_errors()
    {
        server.AddFault(Fault.DropConnection("get", "secrets"));

        var act = () => client.CoreV1.ReadNamespacedSecretAsync("x", "team-a");

        await act.Should().ThrowAsync<HttpRequestException>();
    }
}
