using System.Text.Json.Nodes;

namespace EgressTls.Webhook.Rendering;

/// <summary>
/// Where workloads keep the pod template the webhook will see as Pods at admission: <c>spec.template</c>
/// of Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers and Jobs, and
/// <c>spec.jobTemplate.spec.template</c> of CronJobs. egress-tls never mutates the workload itself
/// (GitOps tools would revert it); <c>render</c> shows the template as its pods will look.
/// </summary>
internal static class PodTemplates
{
    /// <summary>The path of the pod template in objects of this kind, or <c>null</c> when it has none.</summary>
    public static string[]? TemplatePath(string apiVersion, string kind)
    {
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        return (group, kind) switch
        {
            ("apps", "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet") => ["spec", "template"],
            ("", "ReplicationController") => ["spec", "template"],
            ("batch", "Job") => ["spec", "template"],
            ("batch", "CronJob") => ["spec", "jobTemplate", "spec", "template"],
            _ => null,
        };
    }

    /// <summary>The template object at <paramref name="path"/>, or <c>null</c> when it is absent.</summary>
    public static JsonObject? Find(JsonObject workload, string[] path)
    {
        JsonNode? node = workload;
        foreach (var step in path)
        {
            node = node is JsonObject obj ? obj[step] : null;
        }

        return node as JsonObject;
    }

    /// <summary>
    /// The Pod the controller would create from <paramref name="template"/>: the template's metadata and spec,
    /// in <paramref name="namespace"/>, with <c>generateName</c> <c>&lt;workload&gt;-</c> as controllers do.
    /// </summary>
    public static JsonObject ToPod(JsonObject template, string workloadName, string @namespace)
    {
        var metadata = template["metadata"] is JsonObject m ? (JsonObject)m.DeepClone() : new JsonObject();
        metadata.Remove("namespace");
        metadata.Remove("name");
        metadata.Remove("generateName");
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["generateName"] = workloadName + "-", ["namespace"] = @namespace },
            ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
        };
        foreach (var (key, value) in metadata.ToList())
        {
            metadata.Remove(key);
            pod["metadata"]!.AsObject()[key] = value;
        }

        return pod;
    }

    /// <summary>A copy of <paramref name="workload"/> whose template has the metadata (minus what
    /// <see cref="ToPod"/> added) and spec of <paramref name="pod"/>.</summary>
    public static JsonObject WithTemplateFrom(JsonObject workload, string[] path, JsonObject pod)
    {
        var copy = (JsonObject)workload.DeepClone();
        var template = Find(copy, path)!;
        var original = Find(workload, path)!;
        var metadata = pod["metadata"] is JsonObject pm ? (JsonObject)pm.DeepClone() : new JsonObject();
        metadata.Remove("generateName");
        metadata.Remove("namespace");
        if (original["metadata"] is JsonObject om)
        {
            foreach (var key in new[] { "name", "namespace", "generateName" })
            {
                if (om[key] is { } kept)
                {
                    metadata[key] = kept.DeepClone();
                }
            }
        }

        if (metadata.Count > 0 || original["metadata"] is not null)
        {
            template["metadata"] = metadata;
        }

        template["spec"] = pod["spec"]?.DeepClone();
        return copy;
    }
}
