using System.Collections.Immutable;
using EgressTls.Core;
using EgressTls.Core.Rendering;
using EgressTls.Kubernetes;

namespace EgressTls.Webhook.Admission;

/// <summary>
/// The context when there is no cluster (local <c>serve --standalone</c>): every namespace counts as
/// opted in, since the webhook configuration's namespace selector is what decides in a cluster, and no
/// Secret is known (the handler passes <c>SecretsComplete=false</c>, so referenced Secrets are assumed).
/// </summary>
internal sealed class StandaloneAdmissionContextReader : IAdmissionContextReader
{
    private static readonly ImmutableSortedDictionary<string, string> OptedIn =
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(Naming.EnabledLabel, "true")]);

    public Task<NamespaceInfo> GetNamespaceAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(new NamespaceInfo(name, OptedIn, ImmutableSortedDictionary<string, string>.Empty));

    public Task<ImmutableDictionary<string, SecretSummary>> GetSecretsAsync(
        string @namespace, IReadOnlyCollection<string> names, CancellationToken cancellationToken) =>
        Task.FromResult(ImmutableDictionary<string, SecretSummary>.Empty);
}
