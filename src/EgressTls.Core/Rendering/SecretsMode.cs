namespace EgressTls.Core.Rendering;

/// <summary>
/// How the target Cilium reads the Secrets that a CiliumNetworkPolicy's <c>terminatingTLS</c> and
/// <c>originatingTLS</c> name (see the Cilium fact sheet, section 2.1).
/// </summary>
public enum SecretsMode
{
    /// <summary>1.17+ default for new installs: the operator copies referenced Secrets from their own
    /// namespace into the secrets namespace and Envoy gets them by SDS. egress-tls keeps its policy Secrets
    /// in its own namespace (never inside <c>cilium-secrets</c>, whose Secrets the operator does not re-sync).</summary>
    Sds,

    /// <summary>1.15/1.16, and 1.17+ clusters upgraded with SDS off: the agent reads the Secret inline and,
    /// by default, only from the policy secrets namespace, so the Secret must live there.</summary>
    Inline,
}
