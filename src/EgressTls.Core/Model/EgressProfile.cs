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

    // ProfileBuilder.Canonical of the content it was computed from (kept with that content, so a copy
    // with other content never reuses it). Not part of the profile's value: see CanonicalMemo.
    private CanonicalMemo canonical;

    /// <summary>Remembers <paramref name="text"/> as <see cref="ProfileBuilder.Canonical"/> of this profile's content.</summary>
    internal EgressProfile WithCanonical(string text)
    {
        canonical = new CanonicalMemo((Intercept, Mtls, OtherEgress, text));
        return this;
    }

    /// <summary>
    /// <see cref="ProfileBuilder.Canonical"/> of (<paramref name="intercept"/>, <paramref name="mtls"/>,
    /// <paramref name="otherEgress"/>) when it is the content this profile remembered it for (the same
    /// objects, in the same order), else <c>null</c>: the admission path computes it once per render.
    /// </summary>
    internal string? CanonicalOf(InterceptSpec? intercept, ImmutableArray<MtlsDestination> mtls, OtherEgress otherEgress)
    {
        if (canonical.Value is not { } c || !ReferenceEquals(c.Intercept, intercept) || c.OtherEgress != otherEgress
            || c.Mtls.IsDefault || mtls.IsDefault || c.Mtls.Length != mtls.Length)
        {
            return null;
        }

        for (var i = 0; i < mtls.Length; i++)
        {
            if (!ReferenceEquals(c.Mtls[i], mtls[i]))
            {
                return null;
            }
        }

        return c.Text;
    }

    // A cache, not content: every memo equals every other, so the record's equality and hash code stay
    // those of its content.
    private readonly record struct CanonicalMemo((InterceptSpec? Intercept, ImmutableArray<MtlsDestination> Mtls, OtherEgress OtherEgress, string Text)? Value)
    {
        public bool Equals(CanonicalMemo other) => true;

        public override int GetHashCode() => 0;
    }
}
