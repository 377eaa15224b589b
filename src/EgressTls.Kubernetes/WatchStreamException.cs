namespace EgressTls.Kubernetes;

/// <summary>An error a watch stream reported in place of an event (a Status other than 410 Expired, or an
/// event the client could not read).</summary>
internal sealed class WatchStreamException(Exception inner) : Exception("the watch stream reported an error", inner);
