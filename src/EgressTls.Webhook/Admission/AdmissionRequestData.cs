using System.Text.Json.Nodes;

namespace EgressTls.Webhook.Admission;

/// <summary>The parts of an <c>AdmissionReview.request</c> egress-tls uses, checked for shape.</summary>
/// <param name="Uid">request.uid, echoed in the response.</param>
/// <param name="Group">request.kind.group (empty for core kinds).</param>
/// <param name="Version">request.kind.version.</param>
/// <param name="Kind">request.kind.kind.</param>
/// <param name="SubResource">request.subResource, empty when the object itself is admitted.</param>
/// <param name="Operation">CREATE, UPDATE, DELETE or CONNECT.</param>
/// <param name="Namespace">request.namespace (or the object's metadata.namespace); empty for cluster-scoped objects.</param>
/// <param name="Name">request.name or metadata.name; empty when the API server has yet to generate it.</param>
/// <param name="GenerateName">metadata.generateName, or empty.</param>
/// <param name="Object">request.object, present for CREATE and UPDATE.</param>
/// <param name="OldObject">request.oldObject, present for UPDATE.</param>
/// <param name="DryRun">request.dryRun: answer the same, cause no side effects.</param>
internal sealed record AdmissionRequestData(
    string Uid,
    string Group,
    string Version,
    string Kind,
    string SubResource,
    string Operation,
    string Namespace,
    string Name,
    string GenerateName,
    JsonObject? Object,
    JsonObject? OldObject,
    bool DryRun);
