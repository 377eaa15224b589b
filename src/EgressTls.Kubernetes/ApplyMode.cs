namespace EgressTls.Kubernetes;

/// <summary>How one <see cref="DesiredStateApplier.ApplyAsync(IReadOnlyList{EgressTls.Core.Rendering.GeneratedObject}, ApplyMode, CancellationToken)"/> runs.</summary>
/// <param name="DryRun">Send every apply with <c>dryRun=All</c> (nothing is stored, nothing is issued, nothing cached).</param>
/// <param name="Refresh">Ignore the last-applied cache and re-read copy sources (the reconciler's resync).</param>
public sealed record ApplyMode(bool DryRun = false, bool Refresh = false)
{
    /// <summary>The admission path: cached, real writes.</summary>
    public static ApplyMode Admission { get; } = new();
}
