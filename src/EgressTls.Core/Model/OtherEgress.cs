namespace EgressTls.Core.Model;

/// <summary>
/// What happens to the selected pods' egress that egress-tls does not redirect. Any Cilium egress rule
/// turns the selected pods to default-deny for egress unless the policy says otherwise, so the
/// generated policy must state a choice (annotation <c>egress-tls.io/other-egress</c>).
/// </summary>
public enum OtherEgress
{
    /// <summary>Keep the rest of the pod's egress as it was (the default).</summary>
    Allow,

    /// <summary>Only DNS and the redirected destinations are allowed by this policy; everything else
    /// depends on the user's own policies.</summary>
    Deny,
}
