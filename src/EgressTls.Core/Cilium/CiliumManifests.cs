using System.Text.Json.Nodes;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Cilium;

/// <summary>Small builders for the metadata and Secret manifests the generator writes (fixed key order).</summary>
internal static class CiliumManifests
{
    public const string CiliumApiVersion = "cilium.io/v2";
    public const string NetworkPolicyKind = "CiliumNetworkPolicy";
    public const string EnvoyConfigKind = "CiliumEnvoyConfig";
    public const string ClusterwideEnvoyConfigKind = "CiliumClusterwideEnvoyConfig";
    public const string TlsSecretType = "kubernetes.io/tls";
    public const string OpaqueSecretType = "Opaque";

    /// <summary>
    /// Labels per the object layout: always managed-by; the profile label only on objects that belong to
    /// one profile (CNP, CEC/CCEC); the source-namespace label on objects outside the workload namespace
    /// that belong to that namespace. Objects shared across namespaces (the leaf for a name set, the
    /// public roots) carry neither: several profiles write them, so a per-profile label would flap
    /// between writers and a label-based clean-up would delete a Secret still in use.
    /// </summary>
    public static JsonObject Labels(string? profileId, string? sourceNamespace)
    {
        var labels = new JsonObject { [Naming.ManagedByLabel] = Naming.ManagedByValue };
        if (profileId is not null)
        {
            labels[Naming.ProfileLabel] = profileId;
        }

        if (sourceNamespace is not null)
        {
            labels[Naming.SourceNamespaceLabel] = sourceNamespace;
        }

        return labels;
    }

    /// <summary>metadata with name, optional namespace and labels.</summary>
    public static JsonObject Metadata(string name, string? ns, JsonObject labels)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }

        metadata["labels"] = labels;
        return metadata;
    }

    /// <summary>
    /// metadata of an object that belongs to one profile (its policy and Envoy config): the profile label;
    /// the source-namespace label when cluster-scoped (<paramref name="namespaced"/> false); and, for a
    /// profile with an <see cref="EgressProfile.Owner"/> (a Flux Provider), the owner label and, on namespaced
    /// objects when the owner's uid is known, an ownerReference (Kubernetes forbids cluster-scoped objects
    /// from naming a namespaced owner, so the clusterwide Envoy config relies on the label alone).
    /// </summary>
    public static JsonObject ProfileMetadata(EgressProfile profile, string name, bool namespaced)
    {
        var labels = Labels(profile.Id, namespaced ? null : profile.Namespace);
        if (profile.Owner is { } owner)
        {
            labels[owner.LabelKey] = owner.LabelValue;
        }

        var metadata = Metadata(name, namespaced ? profile.Namespace : null, labels);
        if (namespaced && profile.Owner is { Uid: { } uid } withUid)
        {
            // No controller/blockOwnerDeletion: the reconciler, not the owner's controller, manages these objects.
            metadata["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = withUid.ApiVersion,
                ["kind"] = withUid.Kind,
                ["name"] = withUid.Name,
                ["uid"] = uid,
            });
        }

        return metadata;
    }

    /// <summary>A Secret manifest without data (the shell fills it from the object's content).</summary>
    public static JsonObject Secret(string name, string ns, string type, JsonObject labels) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["metadata"] = Metadata(name, ns, labels),
        ["type"] = type,
    };

    /// <summary>The CA-only public roots Secret in <paramref name="ns"/>: CA-only so that Cilium publishes
    /// it as a validation context (cilium-facts 0.4, 2.3); shared, so it carries no profile label.</summary>
    public static GeneratedObject PublicRootsSecret(string ns) => new(
        Secret(CiliumNames.PublicRoots, ns, OpaqueSecretType, Labels(null, null)),
        new CaOnlyContent(null, null));

    /// <summary>A label selector's <c>matchLabels</c>, in the (sorted) order of <paramref name="labels"/>.</summary>
    public static JsonObject MatchLabels(IEnumerable<KeyValuePair<string, string>> labels) =>
        new() { ["matchLabels"] = new JsonObject([.. labels.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))]) };

    /// <summary><c>{ports: [{port: "p", protocol: P}]}</c> with the port as a string, as the CRD requires
    /// (cilium-facts 1.4).</summary>
    public static JsonArray Ports(int port, string protocol) =>
        [new JsonObject { ["port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["protocol"] = protocol }];
}
