namespace EgressTls.Core.Model;

/// <summary>
/// The object a profile belongs to when it is not shared by content (a Flux Provider: each Provider gets
/// its own objects, so deleting one Provider removes only its objects). The Cilium generator labels the
/// profile's own objects (policy, Envoy config) with <see cref="LabelKey"/>=<see cref="LabelValue"/>, and
/// gives the namespaced ones an ownerReference when <see cref="Uid"/> is known (UPDATE; on CREATE the API
/// server has not assigned it yet), so Kubernetes' garbage collector deletes them with the owner.
/// </summary>
/// <param name="ApiVersion">The owner's apiVersion (for the ownerReference).</param>
/// <param name="Kind">The owner's kind.</param>
/// <param name="Name">The owner's name.</param>
/// <param name="Uid">The owner's uid, or <c>null</c> when not known yet.</param>
/// <param name="LabelKey">The label naming the owner on the generated objects (e.g. <c>egress-tls.io/provider</c>).</param>
/// <param name="LabelValue">Its value: the owner's name, or a hash-suffixed form when the name is not a valid label value.</param>
public sealed record ProfileOwner(string ApiVersion, string Kind, string Name, string? Uid, string LabelKey, string LabelValue);
