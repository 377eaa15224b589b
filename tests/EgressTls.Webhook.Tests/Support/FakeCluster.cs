using System.Collections.Concurrent;
using System.Collections.Immutable;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;

namespace EgressTls.Webhook.Tests.Support;

/// <summary>Stand-ins for the Kubernetes reader and applier, recording what the host asks of them.</summary>
internal sealed class FakeCluster : IAdmissionContextReader, IDesiredStateApplier
{
    public Func<string, CancellationToken, Task<NamespaceInfo>> Namespace { get; set; } =
        (name, _) => Task.FromResult(NamespaceInfo.Bare(name) with
        {
            Labels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress-tls.io/enabled", "true")]),
        });

    public ImmutableDictionary<string, SecretSummary> Secrets { get; set; } = ImmutableDictionary<string, SecretSummary>.Empty;

    public Func<IReadOnlyList<GeneratedObject>, CancellationToken, Task> Apply { get; set; } = (_, _) => Task.CompletedTask;

    public ConcurrentQueue<IReadOnlyList<GeneratedObject>> Applied { get; } = new();

    public ConcurrentQueue<IReadOnlyCollection<string>> SecretRequests { get; } = new();

    public Task<NamespaceInfo> GetNamespaceAsync(string name, CancellationToken cancellationToken) => Namespace(name, cancellationToken);

    public Task<ImmutableDictionary<string, SecretSummary>> GetSecretsAsync(
        string @namespace, IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        SecretRequests.Enqueue(names);
        return Task.FromResult(Secrets.Where(s => names.Contains(s.Key)).ToImmutableDictionary());
    }

    public async Task ApplyAsync(IReadOnlyList<GeneratedObject> objects, CancellationToken cancellationToken)
    {
        await Apply(objects, cancellationToken);
        Applied.Enqueue(objects);
    }
}
