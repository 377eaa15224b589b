using System.Text.Json.Nodes;

namespace EgressTls.Webhook.Tests.Support;

/// <summary>AdmissionReview requests shaped exactly as kube-apiserver sends them (admission.k8s.io/v1).</summary>
internal static class Reviews
{
    public static JsonObject Request(
        string uid, string group, string version, string kind, string resource, string operation, string? ns, string name,
        JsonObject? obj, JsonObject? oldObj = null, bool dryRun = false, string subResource = "")
    {
        var gvk = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = kind };
        var gvr = new JsonObject { ["group"] = group, ["version"] = version, ["resource"] = resource };
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = gvk,
            ["resource"] = gvr,
            ["requestKind"] = gvk.DeepClone(),
            ["requestResource"] = gvr.DeepClone(),
            ["name"] = name,
        };
        if (subResource.Length > 0)
        {
            request["subResource"] = subResource;
            request["requestSubResource"] = subResource;
        }

        if (ns is not null)
        {
            request["namespace"] = ns;
        }

        request["operation"] = operation;
        request["userInfo"] = new JsonObject
        {
            ["username"] = "system:serviceaccount:kube-system:replicaset-controller",
            ["uid"] = "b1d5f0a2-3c4e-4f5a-9b6c-7d8e9f0a1b2c",
            ["groups"] = new JsonArray("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"),
        };
        request["object"] = obj;
        request["oldObject"] = oldObj;
        request["dryRun"] = dryRun;
        request["options"] = operation switch
        {
            "CREATE" => new JsonObject { ["kind"] = "CreateOptions", ["apiVersion"] = "meta.k8s.io/v1", ["fieldManager"] = "kube-controller-manager" },
            "UPDATE" => new JsonObject { ["kind"] = "UpdateOptions", ["apiVersion"] = "meta.k8s.io/v1", ["fieldManager"] = "kubectl-edit" },
            "DELETE" => new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "meta.k8s.io/v1", ["propagationPolicy"] = "Background" },
            _ => null,
        };
        return new JsonObject
        {
            ["kind"] = "AdmissionReview",
            ["apiVersion"] = "admission.k8s.io/v1",
            ["request"] = request,
        };
    }

    public static JsonObject ConfigMap(string uid, string operation = "CREATE", bool dryRun = false) =>
        Request(uid, "", "v1", "ConfigMap", "configmaps", operation, "team-a", "settings",
            operation == "DELETE" ? null : new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject { ["name"] = "settings", ["namespace"] = "team-a", ["uid"] = "0f3c1f0e-1111-2222-3333-444455556666" },
                ["data"] = new JsonObject { ["mode"] = "fast" },
            },
            oldObj: operation == "CREATE" ? null : new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject { ["name"] = "settings", ["namespace"] = "team-a" },
                ["data"] = new JsonObject { ["mode"] = "slow" },
            },
            dryRun: dryRun);

    /// <summary>A Pod created by a ReplicaSet: generateName, no name yet, as the API server sends it.</summary>
    public static JsonObject Pod(string uid, JsonObject? annotations = null, string ns = "team-a", bool dryRun = false, string operation = "CREATE")
    {
        var metadata = new JsonObject
        {
            ["generateName"] = "web-7d4b9c8f6d-",
            ["namespace"] = ns,
            ["labels"] = new JsonObject { ["app"] = "web", ["pod-template-hash"] = "7d4b9c8f6d" },
        };
        if (annotations is not null)
        {
            metadata["annotations"] = annotations;
        }

        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = metadata,
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "web",
                    ["image"] = "curlimages/curl:8.7.1",
                    ["command"] = new JsonArray("sleep", "3600"),
                    ["resources"] = new JsonObject(),
                    ["terminationMessagePath"] = "/dev/termination-log",
                    ["imagePullPolicy"] = "IfNotPresent",
                }),
                ["restartPolicy"] = "Always",
                ["dnsPolicy"] = "ClusterFirst",
                ["serviceAccountName"] = "default",
            },
            ["status"] = new JsonObject(),
        };
        return Request(uid, "", "v1", "Pod", "pods", operation, ns, "", pod, operation == "UPDATE" ? (JsonObject)pod.DeepClone() : null, dryRun);
    }
}
