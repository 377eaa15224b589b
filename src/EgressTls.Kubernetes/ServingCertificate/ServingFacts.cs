namespace EgressTls.Kubernetes.ServingCertificate;

/// <summary>The dates and relations of a stored serving certificate that the planner decides on.</summary>
/// <param name="CaNotAfter">End of the current serving CA.</param>
/// <param name="CertificateNotAfter">End of the serving certificate.</param>
/// <param name="CertificateMatches">The certificate is signed by the current CA and names exactly the expected DNS names.</param>
/// <param name="NextCaStagedAt">When the next CA was staged, or null when none is.</param>
/// <param name="PreviousCaNotAfter">End of the previous CA kept for overlap, or null when none is.</param>
public sealed record ServingFacts(
    DateTimeOffset CaNotAfter,
    DateTimeOffset CertificateNotAfter,
    bool CertificateMatches,
    DateTimeOffset? NextCaStagedAt,
    DateTimeOffset? PreviousCaNotAfter);
