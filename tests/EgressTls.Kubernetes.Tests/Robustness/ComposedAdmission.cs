using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Testing;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes.Tests.Robustness;

/// <summary>
/// Admission composed the way the host composes it (read namespace and Secrets, render once, apply within the
/// budget), over a <see cref="KubernetesShell"/> talking to the stand-in API server. The outcome is what the
/// user would see: allowed, or denied with a message.
/// </summary>
internal sealed class ComposedAdmission(KubernetesShell shell, RenderOptions options, TimeSpan budget) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => shell.DisposeAsync();

    public KubernetesShell Shell => shell;

    public static ApiRetryOptions FastRetry => new() { BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50), AttemptTimeout = TimeSpan.FromSeconds(1) };

    public static async Task<ComposedAdmission> StartAsync(StandInApiServer server, TimeSpan budget, ApiRetryOptions? retry = null)
    {
        var shell = await KubernetesShell.StartAsync(KubernetesClientFactory.ForHost(server.Url),
            new KubernetesShellOptions { Retry = retry ?? FastRetry, DetectCilium = false }, TimeProvider.System, new SecureRandom(), null, CancellationToken.None);
        await shell.Namespaces.WaitForSyncAsync(CancellationToken.None);
        return new ComposedAdmission(shell, new RenderOptions { Cilium = shell.Cilium.Target }, budget);
    }

    public static void SeedNamespace(StandInApiServer server, string name = "team-a") => server.Seed(new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["egress-tls.io/enabled"] = "true" } },
    });

    public static JsonObject Pod(JsonObject annotations, string ns = "team-a") => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["generateName"] = "web-", ["namespace"] = ns, ["labels"] = new JsonObject { ["app"] = "web" }, ["annotations"] = annotations },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = "busybox" }) },
    };

    /// <summary>Allowed (with the objects made to exist) or denied with the message the user would read.</summary>
    public async Task<(bool Allowed, string Message)> AdmitAsync(JsonObject pod)
    {
        var ns = (string)pod["metadata"]!["namespace"]!;
        using var cts = new CancellationTokenSource(budget);
        try
        {
            var info = await shell.Reader.GetNamespaceAsync(ns, cts.Token);
            var names = Renderer.ReferencedSecretNames(pod, info, options);
            var secrets = names.Count == 0 ? ImmutableDictionary<string, SecretSummary>.Empty : await shell.Reader.GetSecretsAsync(ns, names, cts.Token);
            switch (Renderer.Render(new RenderInput(pod, AdmissionOperation.Create, info, secrets), options))
            {
                case Rejected rejected:
                    return (false, string.Join("; ", rejected.Errors));
                case Mutated mutated:
                    await shell.Applier.ApplyAsync(mutated.Objects, cts.Token);
                    return (true, "");
                default:
                    return (true, "");
            }
        }
        catch (OperationCanceledException)
        {
            return (false, $"the API server did not answer within {budget.TotalSeconds:0.#}s");
        }
        catch (ApplyException ex)
        {
            return (false, "could not create the objects: " + ex.Message);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || ex.GetType().FullName!.StartsWith("k8s.", StringComparison.Ordinal))
        {
            return (false, "the API server is unreachable: " + ex.GetType().Name);
        }
    }
}
