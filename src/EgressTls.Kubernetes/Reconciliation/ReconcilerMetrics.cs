using System.Diagnostics.Metrics;

namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>
/// The reconciler's instruments on the <c>EgressTls</c> meter (the host exports meters at /metrics):
/// objects applied and deleted by kind, reconcile errors by kind, failed informer lists and watches by resource,
/// pass duration, seconds until the earliest
/// leaf and CA expiry, and whether this replica leads.
/// </summary>
public sealed class ReconcilerMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "EgressTls";

    private readonly Meter meter;
    private readonly bool ownsMeter;
    private readonly Counter<long> applied;
    private readonly Counter<long> deleted;
    private readonly Counter<long> errors;
    private readonly Histogram<double> duration;
    private readonly Counter<long> informerErrors;
    private long leafExpiryTicks = long.MinValue;
    private long caExpiryTicks = long.MinValue;
    private int leader;

    /// <summary>Creates the instruments on <paramref name="meterFactory"/>'s meter, or on an own meter.</summary>
    public ReconcilerMetrics(IMeterFactory? meterFactory = null)
    {
        meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        ownsMeter = meterFactory is null;
        applied = meter.CreateCounter<long>("egress_tls_reconciler_objects_applied", description: "Objects the reconciler applied, by kind.");
        deleted = meter.CreateCounter<long>("egress_tls_reconciler_objects_deleted", description: "Objects the reconciler deleted (garbage collection), by kind.");
        errors = meter.CreateCounter<long>("egress_tls_reconcile_errors", description: "Reconcile failures, by kind of object (or 'pass').");
        informerErrors = meter.CreateCounter<long>("egress_tls_informer_errors",
            description: "Failed lists and watches of the reconciler's informers, by resource and HTTP status (403: the RBAC does not grant it).");
        duration = meter.CreateHistogram<double>("egress_tls_reconcile_duration", unit: "s", description: "Duration of one reconcile pass.");
        meter.CreateObservableGauge("egress_tls_certificate_expiry_seconds", ObserveExpiry, unit: "s",
            description: "Seconds until the earliest expiry of a leaf certificate (certificate=leaf) and of the CA (certificate=ca).");
        meter.CreateObservableGauge("egress_tls_reconciler_leader", () => Volatile.Read(ref leader), description: "1 while this replica runs the reconciler.");
    }

    /// <summary>The meter the instruments live on.</summary>
    public Meter Meter => meter;

    /// <summary>Applied objects so far (tests).</summary>
    public long AppliedTotal => Interlocked.Read(ref appliedTotal);

    /// <summary>Deleted objects so far (tests).</summary>
    public long DeletedTotal => Interlocked.Read(ref deletedTotal);

    /// <summary>Failed informer lists and watches so far (tests).</summary>
    public long InformerErrorsTotal => Interlocked.Read(ref informerErrorsTotal);

    /// <summary>The time provider expiry gauges measure against.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    private long appliedTotal;
    private long deletedTotal;
    private long informerErrorsTotal;

    /// <summary>Counts an applied object.</summary>
    public void Applied(string kind)
    {
        Interlocked.Increment(ref appliedTotal);
        applied.Add(1, new KeyValuePair<string, object?>("kind", kind));
    }

    /// <summary>Counts a deleted object.</summary>
    public void Deleted(string kind)
    {
        Interlocked.Increment(ref deletedTotal);
        deleted.Add(1, new KeyValuePair<string, object?>("kind", kind));
    }

    /// <summary>Counts a failure.</summary>
    public void Error(string kind) => errors.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>Counts a failed list or watch of an informer (status: the HTTP status, or null for a transport error).</summary>
    public void InformerError(string resource, int? status)
    {
        Interlocked.Increment(ref informerErrorsTotal);
        informerErrors.Add(1, new KeyValuePair<string, object?>("resource", resource), new KeyValuePair<string, object?>("code", status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"));
    }

    /// <summary>Records a pass's duration.</summary>
    public void PassDuration(TimeSpan elapsed) => duration.Record(elapsed.TotalSeconds);

    /// <summary>Sets the earliest leaf and CA expiries (null: unknown).</summary>
    public void Expiry(DateTimeOffset? leaf, DateTimeOffset? ca)
    {
        Interlocked.Exchange(ref leafExpiryTicks, leaf?.UtcTicks ?? long.MinValue);
        Interlocked.Exchange(ref caExpiryTicks, ca?.UtcTicks ?? long.MinValue);
    }

    /// <summary>Sets the leader gauge.</summary>
    public void Leading(bool value) => Volatile.Write(ref leader, value ? 1 : 0);

    /// <inheritdoc />
    public void Dispose()
    {
        if (ownsMeter)
        {
            meter.Dispose();
        }
    }

    private IEnumerable<Measurement<double>> ObserveExpiry()
    {
        var now = Time.GetUtcNow().UtcTicks;
        var leaf = Interlocked.Read(ref leafExpiryTicks);
        var ca = Interlocked.Read(ref caExpiryTicks);
        if (leaf != long.MinValue)
        {
            yield return new Measurement<double>(TimeSpan.FromTicks(leaf - now).TotalSeconds, new KeyValuePair<string, object?>("certificate", "leaf"));
        }

        if (ca != long.MinValue)
        {
            yield return new Measurement<double>(TimeSpan.FromTicks(ca - now).TotalSeconds, new KeyValuePair<string, object?>("certificate", "ca"));
        }
    }
}
