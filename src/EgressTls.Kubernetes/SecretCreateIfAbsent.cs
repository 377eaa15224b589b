using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EgressTls.Kubernetes;

/// <summary>
/// Create-if-absent for a Secret that must exist exactly once however many replicas start together (the
/// interception CA, the serving certificate): GET; on 404 build it and POST; on 409 AlreadyExists another
/// replica won the race and its Secret is read back and used. An existing Secret is never overwritten here.
/// </summary>
public static class SecretCreateIfAbsent
{
    /// <summary>The Secret <paramref name="name"/> in <paramref name="ns"/>, created from <paramref name="build"/>
    /// when absent. <c>Created</c> is true when this call created it.</summary>
    /// <exception cref="CaStoreException">The Secret exists (409) but cannot be read back.</exception>
    public static async Task<(V1Secret Secret, bool Created)> LoadOrCreateAsync(
        IKubernetes client, ApiCallPipeline pipeline, string ns, string name, Func<V1Secret> build, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(build);
        var existing = await ReadAsync(client, pipeline, ns, name, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return (existing, false);
        }

        var fresh = build();
        try
        {
            // Creates are not idempotent, so 409 is an answer (not retried); a create retried after a lost
            // response also lands here and reads back our own Secret.
            var created = await pipeline.ConditionalWriteAsync(
                async c => await client.CoreV1.CreateNamespacedSecretAsync(fresh, ns, cancellationToken: c).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            return (created.Data is null ? fresh : created, true);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
        {
            var winner = await ReadAsync(client, pipeline, ns, name, cancellationToken).ConfigureAwait(false)
                         ?? throw new CaStoreException($"Secret {ns}/{name} exists but cannot be read", e);
            return (winner, false);
        }
    }

    /// <summary>The Secret, or null on 404.</summary>
    public static async Task<V1Secret?> ReadAsync(IKubernetes client, ApiCallPipeline pipeline, string ns, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(pipeline);
        try
        {
            return await pipeline.ReadAsync(
                async c => await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: c).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
