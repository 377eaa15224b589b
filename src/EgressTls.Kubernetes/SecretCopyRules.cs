using EgressTls.Core;
using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes;

/// <summary>
/// Which user Secrets egress-tls may read to fill a generated object. A pod may only use Secrets of its own
/// namespace (a pod in A never reads what belongs to B), and nothing is ever copied out of the
/// webhook namespace, where the CA private key lives.
/// </summary>
public static class SecretCopyRules
{
    /// <summary>The workload namespace a generated object was made for: its
    /// <see cref="Naming.SourceNamespaceLabel"/> label, else its own namespace.</summary>
    public static string? WorkloadNamespace(GeneratedObject target) =>
        (string?)target.Manifest["metadata"]?["labels"]?[Naming.SourceNamespaceLabel] ?? target.Namespace;

    /// <summary>Why <paramref name="target"/> may not be filled from a Secret in <paramref name="sourceNamespace"/>,
    /// or null when it may.</summary>
    public static string? Violation(GeneratedObject target, string? sourceNamespace, string webhookNamespace)
    {
        var workload = WorkloadNamespace(target);
        if (string.IsNullOrEmpty(sourceNamespace))
        {
            return $"{target.Kind} {Describe(target)}: the source Secret has no namespace";
        }

        if (sourceNamespace == webhookNamespace)
        {
            return $"{target.Kind} {Describe(target)}: refusing to copy a Secret out of the egress-tls namespace {webhookNamespace}";
        }

        return sourceNamespace != workload
            ? $"{target.Kind} {Describe(target)}: refusing to copy a Secret from namespace {sourceNamespace}; a workload in {workload ?? "(unknown)"} may only use Secrets of its own namespace"
            : null;
    }

    /// <summary><c>namespace/name</c> or <c>name</c>.</summary>
    public static string Describe(GeneratedObject obj) => obj.Namespace is null ? obj.Name : $"{obj.Namespace}/{obj.Name}";
}
