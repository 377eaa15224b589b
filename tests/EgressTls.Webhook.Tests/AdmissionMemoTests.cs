using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;
using EgressTls.Webhook.Admission;
using EgressTls.Webhook.Cluster;
using EgressTls.Webhook.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EgressTls.Webhook.Tests;

/// <summary>The admission memo: identical pods reuse one decision, and any input Render depends on invalidates it.</summary>
public sealed class AdmissionMemoTests
{
    private static readonly JsonObject Intercept = new() { ["egress-tls.io/intercept"] = "github.com" };

    [Fact]
    public async Task Identical_pods_get_the_remembered_patch_byte_for_byte_with_their_own_uid_and_objects_applied_again()
    {
        var context = new Context(standalone: false);
        var first = await context.AdmitAsync(Reviews.Pod("uid-1", Intercept.DeepClone().AsObject()));
        context.Memo.Count.Should().Be(0, "a first sighting records the key only");
        var second = await context.AdmitAsync(Reviews.Pod("uid-2", Intercept.DeepClone().AsObject()));
        context.Memo.Count.Should().Be(1);
        var third = await context.AdmitAsync(Reviews.Pod("uid-3", Intercept.DeepClone().AsObject()));

        third.Outcome.Should().BeSameAs(second.Outcome, "the third decision is the remembered one");
        third.Response["patch"]!.GetValue<string>().Should().Be(first.Response["patch"]!.GetValue<string>());
        third.Response["uid"]!.GetValue<string>().Should().Be("uid-3");
        context.Applied.Should().Be(3, "the generated objects are made to exist on every admission");

        // And it is what rendering afresh gives.
        var fresh = await new Context().AdmitAsync(Reviews.Pod("uid-4", Intercept.DeepClone().AsObject()));
        AdmissionResponseWriter.PatchJson(third.Outcome.Patch).Should().Be(AdmissionResponseWriter.PatchJson(fresh.Outcome.Patch));
        third.Response["patch"]!.GetValue<string>().Should().Be(fresh.Response["patch"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_changed_namespace_default_is_rendered_anew()
    {
        var context = new Context();
        context.Namespace = Namespace(("egress-tls.io/intercept", "github.com"));
        await context.AdmitAsync(Reviews.Pod("uid-0"));
        var before = await context.AdmitAsync(Reviews.Pod("uid-1"));
        context.Memo.Count.Should().Be(1);
        context.Namespace = Namespace(("egress-tls.io/intercept", "gitlab.com"));
        var after = await context.AdmitAsync(Reviews.Pod("uid-2"));

        after.Outcome.Should().NotBeSameAs(before.Outcome);
        AdmissionResponseWriter.PatchJson(after.Outcome.Patch).Should().NotBe(AdmissionResponseWriter.PatchJson(before.Outcome.Patch));
        var fresh = await new Context { Namespace = context.Namespace }.AdmitAsync(Reviews.Pod("uid-3"));
        AdmissionResponseWriter.PatchJson(after.Outcome.Patch).Should().Be(AdmissionResponseWriter.PatchJson(fresh.Outcome.Patch));
    }

    [Fact]
    public async Task A_pod_that_differs_in_one_byte_is_rendered_anew()
    {
        var context = new Context();
        await context.AdmitAsync(Reviews.Pod("uid-0", Intercept.DeepClone().AsObject()));
        var first = await context.AdmitAsync(Reviews.Pod("uid-1", Intercept.DeepClone().AsObject()));
        var other = await context.AdmitAsync(Reviews.Pod("uid-2", new JsonObject { ["egress-tls.io/intercept"] = "github.co" }));

        other.Outcome.Should().NotBeSameAs(first.Outcome);
        other.Response["patch"]!.GetValue<string>().Should().NotBe(first.Response["patch"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_first_pod_of_the_next_ReplicaSet_finds_the_previous_ones_decision()
    {
        var context = new Context();
        await context.AdmitAsync(FirstReplicaSet(Reviews.Pod("uid-0", Intercept.DeepClone().AsObject())));
        var remembered = await context.AdmitAsync(FirstReplicaSet(Reviews.Pod("uid-1", Intercept.DeepClone().AsObject())));

        // A rollout: new pod-template-hash, owner, generateName and image, same template otherwise.
        var next = await context.AdmitAsync(NextReplicaSet(Reviews.Pod("uid-2", Intercept.DeepClone().AsObject())));

        next.Outcome.Should().BeSameAs(remembered.Outcome);
        var fresh = await new Context().AdmitAsync(NextReplicaSet(Reviews.Pod("uid-3", Intercept.DeepClone().AsObject())));
        next.Response["patch"]!.GetValue<string>().Should().Be(fresh.Response["patch"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_pods_of_a_StatefulSet_find_the_decision_of_the_pods_before_them()
    {
        var context = new Context();
        await context.AdmitAsync(FromStatefulSet(Reviews.Pod("uid-0", Intercept.DeepClone().AsObject()), 0));
        var remembered = await context.AdmitAsync(FromStatefulSet(Reviews.Pod("uid-1", Intercept.DeepClone().AsObject()), 1));

        var third = await context.AdmitAsync(FromStatefulSet(Reviews.Pod("uid-2", Intercept.DeepClone().AsObject()), 2));

        third.Outcome.Should().BeSameAs(remembered.Outcome);
        var fresh = await new Context().AdmitAsync(FromStatefulSet(Reviews.Pod("uid-3", Intercept.DeepClone().AsObject()), 2));
        third.Response["patch"]!.GetValue<string>().Should().Be(fresh.Response["patch"]!.GetValue<string>());
    }

    [Fact]
    public void Only_the_values_of_the_ignored_fields_are_left_out_of_the_key()
    {
        var baseline = KeyOf(FirstReplicaSet(Reviews.Pod("uid-1", Intercept.DeepClone().AsObject())));

        KeyOf(NextReplicaSet(Reviews.Pod("uid-2", Intercept.DeepClone().AsObject()))).Should().Be(baseline);
        KeyOf(FromStatefulSet(Reviews.Pod("uid-3", Intercept.DeepClone().AsObject()), 7))
            .Should().Be(KeyOf(FromStatefulSet(Reviews.Pod("uid-4", Intercept.DeepClone().AsObject()), 8)));

        var env = FirstReplicaSet(Reviews.Pod("uid-5", Intercept.DeepClone().AsObject()));
        Pod(env)["spec"]!["containers"]![0]!["env"] = new JsonArray(new JsonObject { ["name"] = "MODE", ["value"] = "b" });
        var otherEnv = FirstReplicaSet(Reviews.Pod("uid-6", Intercept.DeepClone().AsObject()));
        Pod(otherEnv)["spec"]!["containers"]![0]!["env"] = new JsonArray(new JsonObject { ["name"] = "MODE", ["value"] = "c" });
        var newLabel = FirstReplicaSet(Reviews.Pod("uid-7", Intercept.DeepClone().AsObject()));
        Pod(newLabel)["metadata"]!["labels"]!["tier"] = "frontend";
        var enabled = FirstReplicaSet(Reviews.Pod("uid-8", Intercept.DeepClone().AsObject()));
        Pod(enabled)["metadata"]!["labels"]![Naming.EnabledLabel] = "false";
        var otherIntercept = FirstReplicaSet(Reviews.Pod("uid-9", new JsonObject { ["egress-tls.io/intercept"] = "gitlab.com" }));

        KeyOf(env).Should().NotBe(KeyOf(otherEnv));
        new[] { KeyOf(env), KeyOf(newLabel), KeyOf(enabled), KeyOf(otherIntercept) }.Should().NotContain(baseline);
    }

    [Fact]
    public void An_egress_tls_annotation_written_with_an_escaped_slash_stays_in_the_key()
    {
        // JSON may write "/" as "\/": the name is still egress-tls.io/intercept, whose value Render reads.
        static byte[] Escaped(string hosts) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Reviews.Pod("uid-1", new JsonObject { ["egress-tls.io/intercept"] = hosts }))
            .Replace("\"egress-tls.io/intercept\"", "\"egress-tls.io\\/intercept\"", StringComparison.Ordinal));

        var github = Escaped("github.com");
        Encoding.UTF8.GetString(github).Should().Contain("egress-tls.io\\/intercept");

        KeyOf(github).Should().NotBe(KeyOf(Escaped("gitlab.com")));
    }

    [Fact]
    public void The_pod_fields_are_left_out_of_the_key_only_when_the_object_is_a_v1_Pod()
    {
        // Render goes by the object's own apiVersion and kind, and a Provider's name is an input to its decision.
        static AdmissionMemo.Key ProviderKeyAsPod(string name)
        {
            var provider = new JsonObject
            {
                ["apiVersion"] = "notification.toolkit.fluxcd.io/v1beta3",
                ["kind"] = "Provider",
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "flux-system", ["annotations"] = new JsonObject { ["egress-tls.io/mtls"] = "cert=client" } },
                ["spec"] = new JsonObject { ["type"] = "generic", ["address"] = "https://hooks.example.org/flux" },
            };
            var json = JsonSerializer.SerializeToUtf8Bytes(provider);
            var document = JsonDocument.Parse(json);
            using var request = new AdmissionRequestData(
                "uid-" + name, "", "v1", "Pod", "", "CREATE", "flux-system", name, "", json, default, false, document, document.RootElement);
            return AdmissionMemo.KeyOf(request).Copy();
        }

        ProviderKeyAsPod("alpha").Should().NotBe(ProviderKeyAsPod("bravo"));
        ProviderKeyAsPod("alpha").Should().Be(ProviderKeyAsPod("alpha"));
    }

    private static AdmissionMemo.Key KeyOf(JsonObject review) => KeyOf(JsonSerializer.SerializeToUtf8Bytes(review));

    private static AdmissionMemo.Key KeyOf(byte[] review)
    {
        AdmissionReviewReader.TryRead(review, out var request, out var reason).Should().BeTrue(reason);
        using (request)
        {
            return AdmissionMemo.KeyOf(request!);
        }
    }

    private static JsonObject Pod(JsonObject review) => review["request"]!["object"]!.AsObject();

    // The review as a pod of the Deployment's current ReplicaSet sends it, and as one of the next (after
    // an image change) does.
    private static JsonObject FirstReplicaSet(JsonObject review) => FromReplicaSet(review, "7d4b9c8f6d", "curlimages/curl:8.7.1");

    private static JsonObject NextReplicaSet(JsonObject review) => FromReplicaSet(review, "5f6c7d8e9a", "curlimages/curl:8.8.0");

    // The review as pod number `ordinal` of StatefulSet "db" sends it: its own name, hostname and per-pod
    // labels, and a per-pod annotation as an indexed Job's pods carry one.
    private static JsonObject FromStatefulSet(JsonObject review, int ordinal)
    {
        var pod = Pod(review);
        var metadata = pod["metadata"]!.AsObject();
        metadata.Remove("generateName");
        metadata["name"] = $"db-{ordinal}";
        metadata["labels"]!["statefulset.kubernetes.io/pod-name"] = $"db-{ordinal}";
        metadata["labels"]!["apps.kubernetes.io/pod-index"] = $"{ordinal}";
        metadata["labels"]!["controller-revision-hash"] = "db-5c9f7b6d84";
        metadata["annotations"]!["batch.kubernetes.io/job-completion-index"] = $"{ordinal}";
        metadata["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "apps/v1", ["kind"] = "StatefulSet", ["name"] = "db", ["uid"] = "5e0c3b1a-2222-4c1e-9a7e-000000000001", ["controller"] = true,
        });
        pod["spec"]!["hostname"] = $"db-{ordinal}";
        pod["spec"]!["subdomain"] = "db";
        review["request"]!["name"] = $"db-{ordinal}";
        return review;
    }

    private static JsonObject FromReplicaSet(JsonObject review, string hash, string image)
    {
        var pod = Pod(review);
        pod["metadata"]!["generateName"] = $"web-{hash}-";
        pod["metadata"]!["labels"]!["pod-template-hash"] = hash;
        pod["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = $"web-{hash}", ["uid"] = $"9d4f0d7e-1111-4c1e-9a7e-{hash}00", ["controller"] = true,
        });
        foreach (var container in pod["spec"]!["containers"]!.AsArray())
        {
            container!["image"] = image;
        }

        return review;
    }

    [Fact]
    public async Task A_referenced_Secret_that_appears_changes_the_decision()
    {
        var context = new Context(standalone: false);
        var mtls = new JsonObject { ["egress-tls.io/mtls"] = "db.example:5432 cert=db-client" };
        await context.AdmitAsync(Reviews.Pod("uid-0", mtls.DeepClone().AsObject()));
        var missing = await context.AdmitAsync(Reviews.Pod("uid-1", mtls.DeepClone().AsObject()));
        context.Memo.Count.Should().Be(1);
        context.Secrets = ImmutableDictionary<string, SecretSummary>.Empty.Add("db-client",
            new SecretSummary("db-client", "kubernetes.io/tls", ImmutableSortedSet.Create(StringComparer.Ordinal, "tls.crt", "tls.key")));
        var present = await context.AdmitAsync(Reviews.Pod("uid-2", mtls.DeepClone().AsObject()));

        missing.Outcome.Allowed.Should().BeFalse("the Secret does not exist yet");
        present.Outcome.Allowed.Should().BeTrue();
        present.Outcome.Decision.Should().Be("Mutated");
    }

    [Fact]
    public async Task New_render_options_are_not_answered_from_decisions_made_with_the_old_ones()
    {
        var context = new Context();
        await context.AdmitAsync(Reviews.Pod("uid-0", Intercept.DeepClone().AsObject()));
        var before = await context.AdmitAsync(Reviews.Pod("uid-1", Intercept.DeepClone().AsObject()));
        context.Memo.Count.Should().Be(1);
        context.Options.Value = context.Options.Value with { TrustMountPath = "/etc/other-trust" };
        var after = await context.AdmitAsync(Reviews.Pod("uid-2", Intercept.DeepClone().AsObject()));

        after.Outcome.Should().NotBeSameAs(before.Outcome);
        AdmissionResponseWriter.PatchJson(after.Outcome.Patch).Should().Contain("/etc/other-trust");
    }

    [Fact]
    public void The_memo_says_it_would_keep_a_decision_once_its_key_was_sighted_and_while_it_is_held()
    {
        var memo = new AdmissionMemo(capacity: 1);
        var options = new RenderOptions();
        var ns = NamespaceInfo.Bare("team-a");

        memo.WouldKeep(Key(1)).Should().BeFalse("never sighted");
        memo.Add(Key(1), Entry(options, ns, 10));
        memo.WouldKeep(Key(1)).Should().BeTrue("sighted once");
        memo.Add(Key(1), Entry(options, ns, 10)).Should().BeTrue();
        memo.WouldKeep(Key(1)).Should().BeTrue("held");
        memo.Add(Key(2), Entry(options, ns, 10));
        memo.Add(Key(2), Entry(options, ns, 10));
        memo.WouldKeep(Key(1)).Should().BeFalse("evicted, and its sighting was used");
        new AdmissionMemo(capacity: 0).WouldKeep(Key(1)).Should().BeFalse("a memo of capacity 0 keeps nothing");
    }

    [Fact]
    public async Task A_first_sighting_is_answered_without_encoding_its_patch_for_the_memo_and_a_second_with()
    {
        var context = new Context();

        var first = await context.AdmitAsync(Reviews.Pod("uid-1", Intercept.DeepClone().AsObject()));
        var second = await context.AdmitAsync(Reviews.Pod("uid-2", Intercept.DeepClone().AsObject()));

        first.Outcome.EncodedPatch.Should().BeNull();
        second.Outcome.EncodedPatch.Should().NotBeNull();
        AdmissionResponseWriter.Build("u", first.Outcome)["response"]!["patch"]!.GetValue<string>()
            .Should().Be(AdmissionResponseWriter.Build("u", second.Outcome)["response"]!["patch"]!.GetValue<string>());
    }

    [Fact]
    public void The_memo_keeps_at_most_its_capacity_and_forgets_the_least_recently_used()
    {
        var memo = new AdmissionMemo(capacity: 3);
        var keys = Enumerable.Range(0, 5).Select(i => Key(i)).ToList();
        var options = new RenderOptions();
        var ns = NamespaceInfo.Bare("team-a");
        void Add(int i)
        {
            memo.Add(keys[i], Entry(options, ns, 10)).Should().BeFalse("a first sighting records the key only");
            memo.Add(keys[i], Entry(options, ns, 10)).Should().BeTrue();
        }

        Add(0);
        Add(1);
        Add(2);
        memo.Find(keys[0], options, ns, false).Should().NotBeNull();
        Add(3);
        Add(4);

        memo.Count.Should().Be(3);
        memo.Find(keys[0], options, ns, false).Should().NotBeNull("it was used most recently before the additions");
        memo.Find(keys[1], options, ns, false).Should().BeNull();
        memo.Find(keys[2], options, ns, false).Should().BeNull();
    }

    [Fact]
    public void A_remembered_key_owns_its_bytes_and_is_found_only_by_equal_bytes()
    {
        // Request bodies live in pooled buffers that the next request reuses: what the memo keeps must not
        // refer to them, and a lookup compares the bytes themselves.
        var memo = new AdmissionMemo();
        var options = new RenderOptions();
        var ns = NamespaceInfo.Bare("team-a");
        var review = JsonSerializer.SerializeToUtf8Bytes(FromStatefulSet(Reviews.Pod("uid-1", Intercept.DeepClone().AsObject()), 1));
        var buffer = review.ToArray();
        AdmissionReviewReader.TryRead(buffer, out var request, out var reason).Should().BeTrue(reason);
        using (request)
        {
            var key = AdmissionMemo.KeyOf(request!);
            memo.Add(key, Entry(options, ns, 10));
            memo.Add(key, Entry(options, ns, 10)).Should().BeTrue();
        }

        buffer.AsSpan().Fill((byte)' ');

        memo.Find(KeyOf(review), options, ns, false).Should().NotBeNull();
        memo.Find(KeyOf(FromStatefulSet(Reviews.Pod("uid-2", Intercept.DeepClone().AsObject()), 2)), options, ns, false)
            .Should().NotBeNull("another pod of the StatefulSet differs only in left-out values");
        var other = FromStatefulSet(Reviews.Pod("uid-3", Intercept.DeepClone().AsObject()), 1);
        Pod(other)["spec"]!["containers"]![0]!["image"] = "curlimages/curl:8.7.2";
        Pod(other)["spec"]!["restartPolicy"] = "Never";
        memo.Find(KeyOf(other), options, ns, false).Should().BeNull("restartPolicy is not left out");
    }

    [Fact]
    public void The_memo_keeps_at_most_its_weight()
    {
        var memo = new AdmissionMemo(capacity: 100, maxWeight: 25);
        var options = new RenderOptions();
        var ns = NamespaceInfo.Bare("team-a");
        for (var i = 0; i < 10; i++)
        {
            memo.Add(Key(i), Entry(options, ns, 10));
            memo.Add(Key(i), Entry(options, ns, 10));
        }

        memo.Count.Should().Be(2);
        memo.Add(Key(99), Entry(options, ns, 26));
        memo.Add(Key(99), Entry(options, ns, 26));
        memo.Count.Should().Be(2, "an entry heavier than the whole bound is not kept");
    }

    private static AdmissionMemo.Key Key(int i) =>
        AdmissionMemo.KeyOf(new AdmissionRequestData("u", "", "v1", "Pod", "", "CREATE", "team-a", "", "p-", JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["i"] = i }), default, false));

    private static AdmissionMemo.Entry Entry(RenderOptions options, NamespaceInfo ns, long weight) =>
        new(options, ns, false, [], ImmutableDictionary<string, SecretSummary>.Empty, new Skipped("x", "x"), AdmissionOutcome.Skip("x"), weight);

    private static NamespaceInfo Namespace(params (string Key, string Value)[] annotations) => new(
        "team-a",
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Naming.EnabledLabel, "true")]),
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, annotations.Select(a => KeyValuePair.Create(a.Key, a.Value))));

    private sealed class Context : IAdmissionContextReader, IDesiredStateApplier
    {
        private readonly AdmissionHandler handler;

        public Context(bool standalone = true)
        {
            var settings = new AdmissionSettings(new RenderOptions(), standalone, TimeSpan.FromSeconds(4), FluxEnabled: true, MaxRequestBodyBytes: 3 << 20);
            Options = new CurrentRenderOptions(settings.Options);
            handler = new AdmissionHandler(settings, Options, this, this, Memo, NullLogger<AdmissionHandler>.Instance);
        }

        public AdmissionMemo Memo { get; } = new();

        public CurrentRenderOptions Options { get; }

        public NamespaceInfo Namespace { get; set; } = AdmissionMemoTests.Namespace();

        public ImmutableDictionary<string, SecretSummary> Secrets { get; set; } = ImmutableDictionary<string, SecretSummary>.Empty;

        public int Applied { get; private set; }

        public async Task<(AdmissionOutcome Outcome, JsonObject Response)> AdmitAsync(JsonObject review)
        {
            AdmissionReviewReader.TryRead(JsonSerializer.SerializeToUtf8Bytes(review), out var request, out var reason).Should().BeTrue(reason);
            var outcome = await handler.HandleAsync(request!, CancellationToken.None);
            return (outcome, AdmissionResponseWriter.Build(request!.Uid, outcome)["response"]!.AsObject());
        }

        public Task<NamespaceInfo> GetNamespaceAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(Namespace with { });

        public Task<ImmutableDictionary<string, SecretSummary>> GetSecretsAsync(string @namespace, IReadOnlyCollection<string> names, CancellationToken cancellationToken) =>
            Task.FromResult(Secrets.Where(s => names.Contains(s.Key)).ToImmutableDictionary());

        public Task ApplyAsync(IReadOnlyList<GeneratedObject> objects, CancellationToken cancellationToken)
        {
            Applied++;
            return Task.CompletedTask;
        }
    }
}
