using System.Collections.Immutable;
using System.Net;
using EgressTls.Core.Rendering;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EgressTls.Kubernetes;

/// <summary>
/// Reads what an admission needs: the namespace from the informer cache (a GET when the cache has not synced
/// or does not know it yet, e.g. a namespace created a moment ago), and summaries of exactly the requested
/// Secrets by GET (never a list of the namespace's Secrets; the data is dropped on arrival). Transient failures
/// are retried within the caller's budget; what still fails becomes an <see cref="ApplyException"/> whose
/// message is fit for a denial.
/// </summary>
public sealed class KubernetesAdmissionContextReader(IKubernetes client, ResourceInformer<V1Namespace>? namespaces, ApiCallPipeline pipeline)
    : IAdmissionContextReader
{
    /// <inheritdoc />
    public async Task<NamespaceInfo> GetNamespaceAsync(string name, CancellationToken cancellationToken)
    {
        if (namespaces is { HasSynced: true } && namespaces.TryGet(null, name, out var cached))
        {
            return ModelMapping.ToNamespaceInfo(cached);
        }

        try
        {
            var ns = await pipeline.ReadAsync(async c => await client.CoreV1.ReadNamespaceAsync(name, cancellationToken: c).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            return ModelMapping.ToNamespaceInfo(ns);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            // The API server would not admit a pod into a missing namespace; render it as unlabelled.
            return NamespaceInfo.Bare(name);
        }
        catch (Exception e) when (IsApiFailure(e))
        {
            throw new ApplyException($"could not read Namespace {name}: {Describe(e)}", e);
        }
    }

    /// <inheritdoc />
    public async Task<ImmutableDictionary<string, SecretSummary>> GetSecretsAsync(string @namespace, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        var found = await Task.WhenAll(names.Distinct(StringComparer.Ordinal).Select(async name =>
        {
            try
            {
                var secret = await pipeline.ReadAsync(async c => await client.CoreV1.ReadNamespacedSecretAsync(name, @namespace, cancellationToken: c).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                return ModelMapping.ToSecretSummary(secret);
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
            catch (Exception e) when (IsApiFailure(e))
            {
                throw new ApplyException($"could not read Secret {@namespace}/{name}: {Describe(e)}", e);
            }
        })).ConfigureAwait(false);
        return found.OfType<SecretSummary>().ToImmutableDictionary(s => s.Name, StringComparer.Ordinal);
    }

    private static bool IsApiFailure(Exception e) =>
        e is HttpOperationException or HttpRequestException or IOException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException;

    private static string Describe(Exception e) => ApiCallPipeline.StatusOf(e) is { } status
        ? $"the API server answered {(int)status} {status}"
        : e is OperationCanceledException or Polly.Timeout.TimeoutRejectedException ? "no answer in time" : "the API server could not be reached";
}
