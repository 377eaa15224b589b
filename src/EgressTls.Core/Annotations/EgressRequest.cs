using System.Collections.Immutable;
using EgressTls.Core.Model;

namespace EgressTls.Core.Annotations;

/// <summary>What a pod's effective annotations ask for, validated (see <see cref="AnnotationParser"/>).</summary>
/// <param name="Intercept">Interception, or <c>null</c>.</param>
/// <param name="Mtls">Client-certificate destinations, sorted.</param>
/// <param name="InjectCa">Mount the trust bundle and set the runtime environment variables.</param>
/// <param name="CaSystemPaths">Also mount the bundle over the system bundle directories.</param>
/// <param name="OtherEgress">What happens to egress that is not redirected.</param>
/// <param name="Errors">Every mistake found; the request is unusable when non-empty.</param>
/// <param name="Warnings">Keys that have no effect in this combination.</param>
public sealed record EgressRequest(
    InterceptSpec? Intercept,
    ImmutableArray<MtlsDestination> Mtls,
    bool InjectCa,
    bool CaSystemPaths,
    OtherEgress OtherEgress,
    ImmutableArray<FieldError> Errors,
    ImmutableArray<string> Warnings)
{
    /// <summary>True when Cilium objects are needed (interception or mTLS).</summary>
    public bool NeedsCilium => Intercept is not null || !Mtls.IsEmpty;

    /// <summary>The Secret checks the parse made (each valid Secret name an annotation references), in order.</summary>
    internal ImmutableArray<SecretCheck> SecretChecks { get; init; } = [];

    /// <summary>The Secrets of the pod's namespace this request references, sorted: every Secret the parse
    /// checks, so a shell that fetches these and parses again finds each one it checks (an
    /// <c>upstream-ca</c> without <c>intercept</c> included).</summary>
    public ImmutableSortedSet<string> SecretNames =>
        ImmutableSortedSet.CreateRange(StringComparer.Ordinal, SecretChecks.Select(c => c.Name));
}
