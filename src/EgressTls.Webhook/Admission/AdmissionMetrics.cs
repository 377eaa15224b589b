using Prometheus;

namespace EgressTls.Webhook.Admission;

/// <summary>Prometheus series of the admission endpoint (served on /metrics of the plain-HTTP port).
/// Labels take only bounded values: decisions, machine-friendly reasons and HTTP codes.</summary>
internal static class AdmissionMetrics
{
    public static readonly Counter Decisions = Metrics.CreateCounter(
        "egress_tls_admission_decisions_total", "Admission decisions by outcome (Mutated, Skipped, Rejected, Failed) and reason.",
        new CounterConfiguration { LabelNames = ["decision", "reason"] });

    public static readonly Histogram Duration = Metrics.CreateHistogram(
        "egress_tls_admission_duration_seconds", "Time from request to answer for admission decisions.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });

    public static readonly Counter Refused = Metrics.CreateCounter(
        "egress_tls_admission_refused_requests_total", "Requests to /mutate that were not a valid AdmissionReview, by HTTP status.",
        new CounterConfiguration { LabelNames = ["code"] });

    public static readonly Counter MemoLookups = Metrics.CreateCounter(
        "egress_tls_admission_memo_lookups_total", "Render decisions found in the admission memo (hit) or rendered (miss).",
        new CounterConfiguration { LabelNames = ["result"] });

    public static readonly Counter.Child MemoHits = MemoLookups.WithLabels("hit");

    public static readonly Counter.Child MemoMisses = MemoLookups.WithLabels("miss");
}
