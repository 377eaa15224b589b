using System.Collections.Immutable;
using EgressTls.Core.Patching;

namespace EgressTls.Webhook.Admission;

/// <summary>The answer to one admission request, and what the decision log line says about it.</summary>
/// <param name="Allowed">response.allowed.</param>
/// <param name="Patch">The JSON patch (empty: none).</param>
/// <param name="Warnings">response.warnings, before truncation.</param>
/// <param name="StatusCode">response.status.code when denied (403 rejected, 503 could not apply).</param>
/// <param name="Message">response.status.message when denied.</param>
/// <param name="Decision">Mutated, Skipped, Rejected or Failed (log property).</param>
/// <param name="Reason">Machine-friendly reason (log property).</param>
/// <param name="ObjectCount">Generated objects (log property).</param>
internal sealed record AdmissionOutcome(
    bool Allowed,
    ImmutableArray<PatchOperation> Patch,
    ImmutableArray<string> Warnings,
    int? StatusCode,
    string? Message,
    string Decision,
    string Reason,
    int ObjectCount)
{
    /// <summary>The patch as the JSON string literal of response.patch (quoted base64), when already encoded
    /// (a remembered decision, <see cref="AdmissionMemo"/>); <c>null</c>: the writer encodes <see cref="Patch"/>.</summary>
    public byte[]? EncodedPatch { get; init; }

    /// <summary><see cref="Warnings"/> as sent (<see cref="AdmissionResponseWriter.Warnings"/>), when already
    /// computed; default: the writer computes them.</summary>
    public ImmutableArray<string> SentWarnings { get; init; }

    /// <summary>This outcome with its patch and warnings encoded once, for answering it many times.</summary>
    public AdmissionOutcome Prepared() => this with
    {
        EncodedPatch = Allowed && !Patch.IsEmpty ? AdmissionResponseWriter.EncodePatch(Patch) : null,
        SentWarnings = AdmissionResponseWriter.Warnings(Warnings),
    };

    /// <summary>Allowed unchanged because egress-tls has nothing to do with the request.</summary>
    public static AdmissionOutcome Skip(string reason) => new(true, [], [], null, null, "Skipped", reason, 0);

    /// <summary>Denied with <paramref name="message"/>.</summary>
    public static AdmissionOutcome Deny(int code, string message, string decision, string reason, ImmutableArray<string> warnings = default) =>
        new(false, [], warnings.IsDefault ? [] : warnings, code, message, decision, reason, 0);
}
