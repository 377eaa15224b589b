using System.Text.Json.Nodes;

namespace EgressTls.Core.Tests.Support;

/// <summary>
/// What kube-apiserver's Pod defaulter adds to a pod (pkg/apis/core/v1/defaults.go and its generated
/// SetObjectDefaults_Pod), for the fields a pod here can hold: the API server runs it on the object it
/// admits and again after each mutating webhook's patch, so a reinvoked webhook, and a pod re-created from
/// <c>kubectl get -o yaml</c>, see these values beside what the webhook wrote.
/// </summary>
internal static class PodDefaults
{
    /// <summary>A copy of <paramref name="pod"/> with the defaults set where a field is absent.</summary>
    public static JsonObject Apply(JsonObject pod)
    {
        var defaulted = pod.DeepClone().AsObject();
        if (defaulted["spec"] is not JsonObject spec)
        {
            return defaulted;
        }

        // SetDefaults_PodSpec and SetDefaults_Pod.
        Default(spec, "dnsPolicy", "ClusterFirst");
        Default(spec, "restartPolicy", "Always");
        Default(spec, "securityContext", new JsonObject());
        Default(spec, "terminationGracePeriodSeconds", 30);
        Default(spec, "schedulerName", "default-scheduler");
        Default(spec, "enableServiceLinks", true);

        // SetDefaults_ConfigMapVolumeSource, SetDefaults_SecretVolumeSource, ...: 0644.
        foreach (var volume in (spec["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var source in new[] { "configMap", "secret", "downwardAPI", "projected" })
            {
                if (volume[source] is JsonObject sourceObject)
                {
                    Default(sourceObject, "defaultMode", 420);
                }
            }
        }

        // SetDefaults_Container, the ports' protocol and env fieldRef's apiVersion.
        foreach (var list in new[] { "initContainers", "containers" })
        {
            foreach (var container in (spec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                Default(container, "imagePullPolicy", Tag((string?)container["image"] ?? string.Empty) == "latest" ? "Always" : "IfNotPresent");
                Default(container, "terminationMessagePath", "/dev/termination-log");
                Default(container, "terminationMessagePolicy", "File");

                // Not a default but how the API server writes an empty struct.
                Default(container, "resources", new JsonObject());
                foreach (var port in (container["ports"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    Default(port, "protocol", "TCP");
                }

                foreach (var env in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    if (env["valueFrom"]?["fieldRef"] is JsonObject fieldRef)
                    {
                        Default(fieldRef, "apiVersion", "v1");
                    }
                }
            }
        }

        return defaulted;
    }

    // The image's tag, "latest" when it has none (after a digest's ':' comes something other than "latest",
    // which gives IfNotPresent as in Kubernetes).
    private static string Tag(string image)
    {
        var name = image[(image.LastIndexOf('/') + 1)..];
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? "latest" : name[(colon + 1)..];
    }

    private static void Default(JsonObject map, string key, JsonNode value)
    {
        if (map[key] is null)
        {
            map[key] = value;
        }
    }
}
