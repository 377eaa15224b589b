using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;

namespace EgressTls.Pki;

/// <summary>
/// Outcome of <see cref="CertificateAuthority.Import"/>: either an authority or every problem found
/// (never both). Each error starts with the Secret key it concerns (<c>tls.crt</c>, <c>tls.key</c>, <c>chain</c>).
/// </summary>
/// <param name="Authority">The imported CA when <see cref="Errors"/> is empty.</param>
/// <param name="Errors">All problems, in a stable order; empty on success.</param>
public sealed record CaImportResult(CertificateAuthority? Authority, ImmutableArray<string> Errors)
{
    /// <summary>True when the import succeeded and <see cref="Authority"/> is set.</summary>
    [MemberNotNullWhen(true, nameof(Authority))]
    public bool Succeeded => Authority is not null && Errors.IsEmpty;
}
