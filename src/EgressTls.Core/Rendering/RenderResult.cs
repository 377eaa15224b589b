using System.Collections.Immutable;
using EgressTls.Core.Patching;

namespace EgressTls.Core.Rendering;

/// <summary>
/// The outcome of rendering one object. Render is total: user mistakes are <see cref="Rejected"/>,
/// never exceptions.
/// </summary>
public abstract record RenderResult;

/// <summary>The object is not egress-tls's business (not opted in, excluded namespace, wrong kind...).</summary>
/// <param name="Reason">A short machine-friendly reason (e.g. <c>not-opted-in</c>), used in metrics and Events.</param>
/// <param name="Detail">A sentence for humans.</param>
public sealed record Skipped(string Reason, string Detail) : RenderResult;

/// <summary>The object asked for something invalid; the admission is denied with every error at once.</summary>
public sealed record Rejected(ImmutableArray<FieldError> Errors) : RenderResult;

/// <summary>
/// The object is allowed with <see cref="Patch"/> (possibly empty, e.g. on re-invocation) and needs
/// <see cref="Objects"/> to exist.
/// </summary>
public sealed record Mutated(
    ImmutableArray<PatchOperation> Patch,
    ImmutableArray<GeneratedObject> Objects,
    ImmutableArray<string> Warnings) : RenderResult;
