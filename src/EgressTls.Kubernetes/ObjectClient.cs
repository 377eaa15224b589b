using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EgressTls.Kubernetes;

/// <summary>
/// Untyped get and server-side apply of any kind egress-tls writes, over the real client: core kinds through
/// the typed CoreV1 API, the rest (cilium.io, cert-manager.io, Flux) through the custom objects API.
/// </summary>
internal sealed class ObjectClient(IKubernetes client)
{
    public IKubernetes Client => client;

    /// <summary>The object as JSON, or null on 404.</summary>
    public async Task<JsonObject?> GetAsync(string apiVersion, string kind, string? ns, string name, CancellationToken ct)
    {
        try
        {
            object result = (apiVersion, kind) switch
            {
                ("v1", "Secret") => await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: ct).ConfigureAwait(false),
                ("v1", "ConfigMap") => await client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: ct).ConfigureAwait(false),
                _ => await GetCustomAsync(apiVersion, kind, ns, name, ct).ConfigureAwait(false),
            };
            return JsonNode.Parse(KubernetesJson.Serialize(result)) as JsonObject;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Server-side apply of <paramref name="manifest"/> with <paramref name="fieldManager"/> and force.</summary>
    public async Task ApplyAsync(JsonObject manifest, string fieldManager, bool dryRun, CancellationToken ct)
    {
        var apiVersion = (string)manifest["apiVersion"]!;
        var kind = (string)manifest["kind"]!;
        var name = (string)manifest["metadata"]!["name"]!;
        var ns = (string?)manifest["metadata"]!["namespace"];
        var patch = new V1Patch(manifest, V1Patch.PatchType.ApplyPatch);
        var dry = dryRun ? "All" : null;
        switch (apiVersion, kind)
        {
            case ("v1", "Secret"):
                await client.CoreV1.PatchNamespacedSecretAsync(patch, name, ns, dryRun: dry, fieldManager: fieldManager, force: true, cancellationToken: ct).ConfigureAwait(false);
                break;
            case ("v1", "ConfigMap"):
                await client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, ns, dryRun: dry, fieldManager: fieldManager, force: true, cancellationToken: ct).ConfigureAwait(false);
                break;
            default:
                var (group, version, plural) = ResourceNames.Of(apiVersion, kind);
                if (ns is null)
                {
                    await client.CustomObjects.PatchClusterCustomObjectAsync(patch, group, version, plural, name, dryRun: dry, fieldManager: fieldManager, force: true, cancellationToken: ct).ConfigureAwait(false);
                }
                else
                {
                    await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, group, version, ns, plural, name, dryRun: dry, fieldManager: fieldManager, force: true, cancellationToken: ct).ConfigureAwait(false);
                }

                break;
        }
    }

    private async Task<object> GetCustomAsync(string apiVersion, string kind, string? ns, string name, CancellationToken ct)
    {
        var (group, version, plural) = ResourceNames.Of(apiVersion, kind);
        return ns is null
            ? await client.CustomObjects.GetClusterCustomObjectAsync(group, version, plural, name, ct).ConfigureAwait(false)
            : await client.CustomObjects.GetNamespacedCustomObjectAsync(group, version, ns, plural, name, ct).ConfigureAwait(false);
    }
}
