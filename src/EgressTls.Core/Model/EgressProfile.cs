using System.Collections.Immutable;

namespace EgressTls.Core.Model;

/// <summary>
/// One distinct egress configuration in one namespace. Pods with the same effective annotations share a
/// profile, and so share one set of generated objects (500 identical pods, one policy).
/// </summary>
/// <param name="Namespace">The workload namespace.</param>
/// <param name="Intercept">TLS interception, or <c>null</c>.</param>
/// <param name="Mtls">Client-certificate injection destinations, sorted by destination.</param>
/// <param name="OtherEgress">What happens to the rest of the selected pods' egress.</param>
/// <param name="PodSelector">The labels that select the profile's pods (the profile label for annotated
/// pods, e.g. <c>app=notification-controller</c> for a Flux Provider).</param>
/// <param name="Id">A short, stable identifier derived from the content (hash), used in object names and
/// in the pod's profile label; for a Flux Provider derived from the Provider's name instead.</param>
public sealed record EgressProfile(
    string Namespace,
    InterceptSpec? Intercept,
    ImmutableArray<MtlsDestination> Mtls,
    OtherEgress OtherEgress,
    ImmutableSortedDictionary<string, string> PodSelector,
    string Id)
{
    /// <summary>
    /// The object the profile belongs to, or <c>null</c> for profiles shared by content (annotated pods).
    /// Set for Flux Providers, whose objects are per Provider (see <see cref="ProfileOwner"/>).
    /// </summary>
    public ProfileOwner? Owner { get; init; }
}
