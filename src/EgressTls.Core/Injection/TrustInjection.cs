using System.Collections.Immutable;

namespace EgressTls.Core.Injection;

/// <summary>The outcome of <see cref="TrustInjector.Inject"/>.</summary>
/// <param name="Injected">False when the pod's volume name is taken by something else, so nothing was mounted.</param>
/// <param name="Warnings">What was kept instead of injected, per container.</param>
public sealed record TrustInjection(bool Injected, ImmutableArray<string> Warnings);
