namespace EgressTls.Kubernetes.ServingCertificate;

/// <summary>What the serving certificate Secret needs next (<see cref="ServingCertificatePlanner.Plan"/>).</summary>
public enum ServingStep
{
    /// <summary>Nothing to do.</summary>
    UpToDate,

    /// <summary>No Secret (or an unusable one is not overwritten: see the store): create CA and certificate.</summary>
    Create,

    /// <summary>Issue a new serving certificate from the current CA.</summary>
    RenewCertificate,

    /// <summary>Generate the next CA and publish it in caBundle beside the current one; nothing is signed by it yet.</summary>
    StageNextCa,

    /// <summary>The staged CA has been published long enough: it becomes current, signs a new serving
    /// certificate, and the old CA stays in caBundle as previous.</summary>
    PromoteNextCa,

    /// <summary>The previous CA has expired: remove it from the Secret.</summary>
    DropPreviousCa,
}
