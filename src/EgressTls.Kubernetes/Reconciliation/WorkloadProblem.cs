namespace EgressTls.Kubernetes.Reconciliation;

/// <summary>Something the reconciler reports on a workload (an Event and a log line).</summary>
/// <param name="Subject">What the Event is about.</param>
/// <param name="Reason">A machine-friendly reason (Event reason, CamelCase).</param>
/// <param name="Message">A sentence for humans (never Secret data).</param>
public sealed record WorkloadProblem(WorkloadRef Subject, string Reason, string Message);
