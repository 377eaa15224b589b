using System.Text;
using System.Text.Json.Nodes;

namespace EgressTls.LoadBench.Workload;

/// <summary>
/// The objects and AdmissionReview requests the benchmarks send, shaped as kube-apiserver sends them
/// (admission.k8s.io/v1, CREATE by the ReplicaSet controller, generateName and no name yet, defaulted
/// fields present): a typical Deployment pod (~5 KiB review), a large pod (~36 KiB: many containers,
/// env and volumes), the same typical pod with no egress-tls annotation, and a Flux Provider.
/// Shared with the micro-benchmarks (linked source), so both measure the same objects.
/// </summary>
public static class ReviewBodies
{
    /// <summary>The request uid in every template; <see cref="WorkloadBody"/> overwrites it per request.</summary>
    public const string UidPlaceholder = "00000000-0000-4000-8000-000000000000";

    /// <summary>The per-request value of the bodies whose every request is another pod;
    /// <see cref="WorkloadBody"/> overwrites every occurrence per request, all with the same value.</summary>
    public const string VariantPlaceholder = "variant-000000000000";

    /// <summary>The env variable of the first container carrying <see cref="VariantPlaceholder"/> in the "-cold"
    /// bodies (a checksum of mounted configuration, as Helm charts put in a pod template to roll it on change).</summary>
    public const string VariantVariable = "CONFIG_CHECKSUM";

    /// <summary>The namespace of every object.</summary>
    public const string Namespace = "shop";

    /// <summary>Every body, by name: typical, large, unannotated, provider; typical-cold and large-cold (the
    /// same pods with an env value that differs on every request: each request is a pod from a template never
    /// seen before, which Render must read, so nothing the server remembers applies: the cold path);
    /// typical-rollout (each request from a new ReplicaSet of one Deployment: <see cref="Rollout"/>) and
    /// typical-sts (each request another pod of a StatefulSet: <see cref="StatefulSetPod"/>).</summary>
    public static IReadOnlyList<WorkloadBody> All() =>
    [
        WorkloadBody.Create("typical-cold", Review(Distinct(TypicalPod()), "Pod", "pods", ""), PatchExpectation.Patch, MemoExpectation.Miss),
        WorkloadBody.Create("large-cold", Review(Distinct(LargePod()), "Pod", "pods", ""), PatchExpectation.Patch, MemoExpectation.Miss),
        WorkloadBody.Create("typical-rollout", Review(Rollout(TypicalPod()), "Pod", "pods", ""), PatchExpectation.Patch, MemoExpectation.Hit),
        WorkloadBody.Create("typical-sts", Review(StatefulSetPod(TypicalPod()), "Pod", "pods", ""), PatchExpectation.Patch, MemoExpectation.Hit),
        WorkloadBody.Create("typical", Review(TypicalPod(), "Pod", "pods", ""), PatchExpectation.Patch, MemoExpectation.Hit),
        WorkloadBody.Create("large", Review(LargePod(), "Pod", "pods", ""), PatchExpectation.Patch, MemoExpectation.Hit),
        WorkloadBody.Create("unannotated", Review(UnannotatedPod(), "Pod", "pods", ""), PatchExpectation.NoPatch, MemoExpectation.Any),
        WorkloadBody.Create("provider", Review(Provider(), "Provider", "providers", "notification.toolkit.fluxcd.io", "v1beta3"), PatchExpectation.Patch, MemoExpectation.Any),
    ];

    /// <summary>Every body name, in the order of <see cref="All"/>'s table.</summary>
    public static IReadOnlyList<string> Names { get; } = ["typical", "typical-cold", "typical-rollout", "typical-sts", "large", "large-cold", "unannotated", "provider"];

    /// <summary>
    /// <paramref name="pod"/> as the pods of ever new ReplicaSets of one Deployment: its pod-template-hash
    /// (in the label, the generateName and the owner's name) differs on every request (the placeholder), the
    /// rest is the same. The memo leaves those values out of its key, so every request after the first two
    /// is answered from the memo (the "-rollout" body).
    /// </summary>
    public static JsonObject Rollout(JsonObject pod)
    {
        var metadata = pod["metadata"]!;
        var app = (string)metadata["labels"]!["app.kubernetes.io/name"]!;
        metadata["labels"]!["pod-template-hash"] = VariantPlaceholder;
        metadata["generateName"] = $"{app}-{VariantPlaceholder}-";
        metadata["ownerReferences"]![0]!["name"] = $"{app}-{VariantPlaceholder}";
        return pod;
    }

    /// <summary>
    /// <paramref name="pod"/> as the pods of a StatefulSet: each request has its own name, hostname and
    /// <c>statefulset.kubernetes.io/pod-name</c> and <c>apps.kubernetes.io/pod-index</c> labels (the
    /// placeholder), the same template otherwise. The memo leaves those values out of its key, so every
    /// request after the first two is answered from the memo (the "-sts" body).
    /// </summary>
    public static JsonObject StatefulSetPod(JsonObject pod)
    {
        var metadata = pod["metadata"]!.AsObject();
        var app = (string)metadata["labels"]!["app.kubernetes.io/name"]!;
        var name = $"{app}-{VariantPlaceholder}";
        metadata.Remove("generateName");
        metadata.Insert(0, "name", name);
        var labels = metadata["labels"]!.AsObject();
        labels.Remove("pod-template-hash");
        labels["controller-revision-hash"] = $"{app}-5c9f7b6d84";
        labels["statefulset.kubernetes.io/pod-name"] = name;
        labels["apps.kubernetes.io/pod-index"] = VariantPlaceholder;
        var owner = metadata["ownerReferences"]![0]!;
        owner["kind"] = "StatefulSet";
        owner["name"] = app;
        pod["spec"]!["hostname"] = name;
        pod["spec"]!["subdomain"] = app;
        return pod;
    }

    /// <summary><paramref name="pod"/> with <see cref="VariantVariable"/> (placeholder value) in its first container's env.</summary>
    public static JsonObject Distinct(JsonObject pod)
    {
        pod["spec"]!["containers"]![0]!["env"]!.AsArray().Add(new JsonObject { ["name"] = VariantVariable, ["value"] = VariantPlaceholder });
        return pod;
    }

    /// <summary>
    /// A Deployment pod of an online shop: the app and a log-shipping sidecar, intercepting two payment
    /// APIs with an HTTP allow-list, probes, resources, a projected service-account token.
    /// </summary>
    public static JsonObject TypicalPod(string ns = Namespace, JsonObject? annotations = null) =>
        Pod(ns, "checkout", annotations ?? new JsonObject
        {
            ["egress-tls.io/intercept"] = "api.stripe.com, *.paypal.com",
            ["egress-tls.io/intercept-http-rules"] = "[{\"method\":\"POST\",\"path\":\"/v1/.*\"},{\"method\":\"GET\",\"path\":\"/v1/.*\"}]",
            // An allow-list only restricts when the rest is denied (Cilium 1.17 allows all with other-egress=allow).
            ["egress-tls.io/other-egress"] = "deny",
            ["kubectl.kubernetes.io/restartedAt"] = "2026-11-20T09:14:03Z",
            ["prometheus.io/scrape"] = "true",
            ["prometheus.io/port"] = "9102",
        }, [AppContainer("checkout", 3), SidecarContainer()], [], 2);

    /// <summary>The typical pod without any egress-tls annotation (namespace opted in): nothing to do.</summary>
    public static JsonObject UnannotatedPod(string ns = Namespace) =>
        Pod(ns, "checkout", new JsonObject
        {
            ["kubectl.kubernetes.io/restartedAt"] = "2026-11-20T09:14:03Z",
            ["prometheus.io/scrape"] = "true",
            ["prometheus.io/port"] = "9102",
        }, [AppContainer("checkout", 3), SidecarContainer()], [], 2);

    /// <summary>
    /// A large pod: 8 containers and 3 init containers with long environments and many mounts, 24
    /// volumes, interception of several hosts and one mTLS destination.
    /// </summary>
    public static JsonObject LargePod(string ns = Namespace)
    {
        var containers = new List<JsonObject>();
        for (var i = 0; i < 7; i++)
        {
            containers.Add(AppContainer($"worker-{i}", 24));
        }

        containers.Add(SidecarContainer());
        var init = new List<JsonObject> { InitContainer("migrate", 12), InitContainer("fetch-config", 12), InitContainer("warm-cache", 12) };
        return Pod(ns, "batch-platform", new JsonObject
        {
            ["egress-tls.io/intercept"] = "api.github.com, *.githubusercontent.com, registry.npmjs.org, pypi.org, files.pythonhosted.org:443",
            ["egress-tls.io/mtls"] = "ledger.internal.example:8443 cert=ledger-client ca=ledger-ca",
            ["egress-tls.io/other-egress"] = "allow",
            ["kubectl.kubernetes.io/restartedAt"] = "2026-11-20T09:14:03Z",
            ["prometheus.io/scrape"] = "true",
            ["prometheus.io/port"] = "9102",
            ["cluster-autoscaler.kubernetes.io/safe-to-evict"] = "false",
        }, containers, init, 22);
    }

    /// <summary>A Flux notification Provider (generic webhook over https) asking for a client certificate.</summary>
    public static JsonObject Provider(string ns = Namespace) => new()
    {
        ["apiVersion"] = "notification.toolkit.fluxcd.io/v1beta3",
        ["kind"] = "Provider",
        ["metadata"] = new JsonObject
        {
            ["name"] = "alerts",
            ["namespace"] = ns,
            ["labels"] = new JsonObject { ["egress-tls.io/enabled"] = "true", ["app.kubernetes.io/part-of"] = "flux-alerts" },
            ["annotations"] = new JsonObject { ["egress-tls.io/mtls"] = "cert=alerts-client ca=alerts-ca" },
            ["generation"] = 1,
        },
        ["spec"] = new JsonObject
        {
            ["type"] = "generic",
            ["address"] = "https://alerts.example.com:8443/hooks/flux",
            ["interval"] = "1m",
            ["timeout"] = "15s",
        },
    };

    /// <summary>The AdmissionReview (CREATE) of <paramref name="obj"/>, with <see cref="UidPlaceholder"/> as uid.</summary>
    public static byte[] Review(JsonObject obj, string kind, string resource, string group, string version = "v1")
    {
        var gvk = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = kind };
        var gvr = new JsonObject { ["group"] = group, ["version"] = version, ["resource"] = resource };
        var name = (string?)obj["metadata"]?["name"] ?? "";
        var review = new JsonObject
        {
            ["kind"] = "AdmissionReview",
            ["apiVersion"] = "admission.k8s.io/v1",
            ["request"] = new JsonObject
            {
                ["uid"] = UidPlaceholder,
                ["kind"] = gvk,
                ["resource"] = gvr,
                ["requestKind"] = gvk.DeepClone(),
                ["requestResource"] = gvr.DeepClone(),
                ["name"] = name,
                ["namespace"] = (string?)obj["metadata"]?["namespace"],
                ["operation"] = "CREATE",
                ["userInfo"] = new JsonObject
                {
                    ["username"] = "system:serviceaccount:kube-system:replicaset-controller",
                    ["uid"] = "4b5e2f0c-6a1d-4c8e-9f3a-2d7b8c9e0f1a",
                    ["groups"] = new JsonArray("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"),
                },
                ["object"] = obj,
                ["oldObject"] = null,
                ["dryRun"] = false,
                ["options"] = new JsonObject { ["kind"] = "CreateOptions", ["apiVersion"] = "meta.k8s.io/v1" },
            },
        };
        return Encoding.UTF8.GetBytes(review.ToJsonString());
    }

    private static JsonObject Pod(string ns, string app, JsonObject annotations, List<JsonObject> containers, List<JsonObject> initContainers, int volumes)
    {
        const string hash = "6f8d9c7b5";
        var volumeList = new JsonArray
        {
            new JsonObject
            {
                ["name"] = "kube-api-access-7x2kq",
                ["projected"] = new JsonObject
                {
                    ["defaultMode"] = 420,
                    ["sources"] = new JsonArray
                    {
                        new JsonObject { ["serviceAccountToken"] = new JsonObject { ["expirationSeconds"] = 3607, ["path"] = "token" } },
                        new JsonObject { ["configMap"] = new JsonObject { ["name"] = "kube-root-ca.crt", ["items"] = new JsonArray(new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" }) } },
                        new JsonObject
                        {
                            ["downwardAPI"] = new JsonObject
                            {
                                ["items"] = new JsonArray(new JsonObject
                                {
                                    ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" },
                                    ["path"] = "namespace",
                                }),
                            },
                        },
                    },
                },
            },
        };
        for (var i = 0; i < volumes; i++)
        {
            volumeList.Add((i % 3) switch
            {
                0 => new JsonObject { ["name"] = $"config-{i}", ["configMap"] = new JsonObject { ["name"] = $"{app}-config-{i}", ["defaultMode"] = 420 } },
                1 => new JsonObject { ["name"] = $"secret-{i}", ["secret"] = new JsonObject { ["secretName"] = $"{app}-secret-{i}", ["defaultMode"] = 420 } },
                _ => new JsonObject { ["name"] = $"scratch-{i}", ["emptyDir"] = new JsonObject { ["sizeLimit"] = "1Gi" } },
            });
        }

        var spec = new JsonObject
        {
            ["volumes"] = volumeList,
            ["containers"] = new JsonArray([.. containers]),
            ["restartPolicy"] = "Always",
            ["terminationGracePeriodSeconds"] = 30,
            ["dnsPolicy"] = "ClusterFirst",
            ["serviceAccountName"] = app,
            ["serviceAccount"] = app,
            ["securityContext"] = new JsonObject { ["runAsNonRoot"] = true, ["fsGroup"] = 10001, ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" } },
            ["affinity"] = new JsonObject
            {
                ["podAntiAffinity"] = new JsonObject
                {
                    ["preferredDuringSchedulingIgnoredDuringExecution"] = new JsonArray(new JsonObject
                    {
                        ["weight"] = 100,
                        ["podAffinityTerm"] = new JsonObject
                        {
                            ["labelSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app.kubernetes.io/name"] = app } },
                            ["topologyKey"] = "kubernetes.io/hostname",
                        },
                    }),
                },
            },
            ["schedulerName"] = "default-scheduler",
            ["tolerations"] = new JsonArray(
                new JsonObject { ["key"] = "node.kubernetes.io/not-ready", ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 300 },
                new JsonObject { ["key"] = "node.kubernetes.io/unreachable", ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 300 }),
            ["priority"] = 0,
            ["enableServiceLinks"] = true,
            ["preemptionPolicy"] = "PreemptLowerPriority",
        };
        if (initContainers.Count > 0)
        {
            spec["initContainers"] = new JsonArray([.. initContainers]);
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["generateName"] = $"{app}-{hash}-",
                ["namespace"] = ns,
                ["labels"] = new JsonObject
                {
                    ["app.kubernetes.io/name"] = app,
                    ["app.kubernetes.io/part-of"] = "shop",
                    ["app.kubernetes.io/version"] = "2.14.1",
                    ["pod-template-hash"] = hash,
                },
                ["annotations"] = annotations,
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "apps/v1",
                    ["kind"] = "ReplicaSet",
                    ["name"] = $"{app}-{hash}",
                    ["uid"] = "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
                    ["controller"] = true,
                    ["blockOwnerDeletion"] = true,
                }),
            },
            ["spec"] = spec,
            ["status"] = new JsonObject(),
        };
    }

    private static JsonObject AppContainer(string name, int envCount)
    {
        var env = new JsonArray
        {
            new JsonObject { ["name"] = "POD_NAME", ["valueFrom"] = new JsonObject { ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.name" } } },
            new JsonObject { ["name"] = "DB_PASSWORD", ["valueFrom"] = new JsonObject { ["secretKeyRef"] = new JsonObject { ["name"] = "db-credentials", ["key"] = "password" } } },
        };
        for (var i = 0; i < envCount; i++)
        {
            env.Add(new JsonObject { ["name"] = $"FEATURE_FLAG_{name.ToUpperInvariant().Replace('-', '_')}_{i}", ["value"] = i % 2 == 0 ? "enabled" : $"https://config.shop.svc.cluster.local/v2/flags/{i}" });
        }

        var mounts = new JsonArray
        {
            new JsonObject { ["name"] = "kube-api-access-7x2kq", ["readOnly"] = true, ["mountPath"] = "/var/run/secrets/kubernetes.io/serviceaccount" },
        };
        return new JsonObject
        {
            ["name"] = name,
            ["image"] = $"registry.example.com/shop/{name}:2.14.1@sha256:4f1c0a9e8d7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a",
            ["args"] = new JsonArray("--listen=:8080", "--metrics=:9102", "--log-format=json"),
            ["ports"] = new JsonArray(
                new JsonObject { ["name"] = "http", ["containerPort"] = 8080, ["protocol"] = "TCP" },
                new JsonObject { ["name"] = "metrics", ["containerPort"] = 9102, ["protocol"] = "TCP" }),
            ["env"] = env,
            ["resources"] = new JsonObject
            {
                ["limits"] = new JsonObject { ["memory"] = "512Mi" },
                ["requests"] = new JsonObject { ["cpu"] = "250m", ["memory"] = "256Mi" },
            },
            ["volumeMounts"] = mounts,
            ["livenessProbe"] = Probe("/healthz", 10),
            ["readinessProbe"] = Probe("/readyz", 5),
            ["terminationMessagePath"] = "/dev/termination-log",
            ["terminationMessagePolicy"] = "File",
            ["imagePullPolicy"] = "IfNotPresent",
            ["securityContext"] = new JsonObject
            {
                ["allowPrivilegeEscalation"] = false,
                ["readOnlyRootFilesystem"] = true,
                ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
            },
        };
    }

    private static JsonObject SidecarContainer() => new()
    {
        ["name"] = "log-shipper",
        ["image"] = "registry.example.com/platform/fluent-bit:3.1.9",
        ["args"] = new JsonArray("-c", "/fluent-bit/etc/fluent-bit.yaml"),
        ["env"] = new JsonArray(new JsonObject { ["name"] = "LOG_LEVEL", ["value"] = "info" }),
        ["resources"] = new JsonObject { ["limits"] = new JsonObject { ["memory"] = "64Mi" }, ["requests"] = new JsonObject { ["cpu"] = "20m", ["memory"] = "32Mi" } },
        ["volumeMounts"] = new JsonArray(new JsonObject { ["name"] = "kube-api-access-7x2kq", ["readOnly"] = true, ["mountPath"] = "/var/run/secrets/kubernetes.io/serviceaccount" }),
        ["terminationMessagePath"] = "/dev/termination-log",
        ["terminationMessagePolicy"] = "File",
        ["imagePullPolicy"] = "IfNotPresent",
    };

    private static JsonObject InitContainer(string name, int envCount)
    {
        var container = AppContainer(name, envCount);
        container.Remove("livenessProbe");
        container.Remove("readinessProbe");
        container.Remove("ports");
        container["command"] = new JsonArray("/bin/sh", "-c", $"exec /app/{name} --once");
        return container;
    }

    private static JsonObject Probe(string path, int period) => new()
    {
        ["httpGet"] = new JsonObject { ["path"] = path, ["port"] = "http", ["scheme"] = "HTTP" },
        ["initialDelaySeconds"] = 5,
        ["timeoutSeconds"] = 1,
        ["periodSeconds"] = period,
        ["successThreshold"] = 1,
        ["failureThreshold"] = 3,
    };
}
