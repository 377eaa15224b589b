using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EgressTls.Kubernetes.Reconciliation;

namespace EgressTls.Kubernetes.Tests.Reconciliation;

/// <summary>The reconciler's instruments on the EgressTls meter (what /metrics exports).</summary>
public sealed class ReconcilerMetricsTests
{
    [Fact]
    public async Task Applied_and_deleted_objects_are_counted_by_kind_and_expiry_and_leadership_are_observable()
    {
        await using var h = await ReconcilerHarness.StartAsync();
        var sums = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == h.Reconciler.Metrics.Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var tag = tags.Length > 0 ? $"{{{tags[0].Key}={tags[0].Value}}}" : "";
            sums.AddOrUpdate(instrument.Name + tag, value, (_, v) => instrument is ObservableGauge<double> or ObservableGauge<int> ? value : v + value);
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        listener.Start();

        h.SeedNamespace("team-a");
        h.SeedPod("team-a", "web-1", "github.com");
        var converged = await h.ConvergeAsync();
        await h.DeletePodAsync("team-a", "web-1");
        await h.PassUntilAsync(r => r.Desired < converged.Desired);
        h.Clock.Advance(TimeSpan.FromMinutes(3));
        await h.PassUntilAsync(r => r.Deleted.Length > 0);
        h.Reconciler.Metrics.Leading(true);
        h.Reconciler.Metrics.Expiry(h.Clock.GetUtcNow() + TimeSpan.FromSeconds(100), null);
        listener.RecordObservableInstruments();

        sums["egress_tls_reconciler_objects_applied{kind=CiliumNetworkPolicy}"].Should().Be(1);
        sums["egress_tls_reconciler_objects_applied{kind=Secret}"].Should().Be(2);
        sums["egress_tls_reconciler_objects_deleted{kind=CiliumNetworkPolicy}"].Should().Be(1);
        sums.Keys.Should().Contain("egress_tls_reconcile_duration");
        sums["egress_tls_reconciler_leader"].Should().Be(1);
        sums["egress_tls_certificate_expiry_seconds{certificate=leaf}"].Should().Be(100);
    }
}
