using System.Diagnostics.Metrics;
using EgressTls.Kubernetes.Reconciliation;
using Prometheus;

namespace EgressTls.Webhook.Serving;

/// <summary>
/// What <c>/metrics</c> publishes besides the admission series: the <c>EgressTls</c> meter (reconciler,
/// certificates), the runtime's <c>System.Runtime</c> meter (GC, thread pool, JIT, CPU; polled when
/// scraped) and prometheus-net's process series. Not the per-request instruments of Kestrel, ASP.NET Core
/// hosting and HttpClient, nor the event counters: prometheus-net's adapters record every such measurement
/// into a labelled series under a lock, and its event-counter adapter turns on the framework's event
/// sources, which then write events for every connection and request. Together that was about 8% of
/// serve's CPU per admission (perf under the typical-cold load); the admission path has its own
/// series (<c>egress_tls_admission_*</c>).
/// </summary>
internal static class MetricsExport
{
    /// <summary>The meters published.</summary>
    public static readonly IReadOnlySet<string> Meters = new HashSet<string>(StringComparer.Ordinal) { ReconcilerMetrics.MeterName, "System.Runtime" };

    /// <summary>Whether an instrument is published.</summary>
    public static bool Publishes(Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        return Meters.Contains(instrument.Meter.Name);
    }

    /// <summary>Configures the default registry; takes effect at its first scrape, so call it before serving.</summary>
    public static void Configure()
    {
        Metrics.ConfigureMeterAdapter(options => options.InstrumentFilterPredicate = Publishes);
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true });
    }
}
