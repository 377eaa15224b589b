namespace EgressTls.Kubernetes.ServingCertificate;

/// <summary>Settings of the self-managed serving certificate (<c>servingCertificate.*</c> of the config file).</summary>
public sealed record ServingCertificateOptions
{
    /// <summary>The webhook namespace (the Secret lives there, next to the Service).</summary>
    public string Namespace { get; init; } = "egress-tls";

    /// <summary>The Secret holding the serving CA and the serving certificate.</summary>
    public string SecretName { get; init; } = "egress-tls-serving-cert";

    /// <summary>The webhook Service; the certificate names <c>&lt;service&gt;.&lt;namespace&gt;.svc</c> and its variants.</summary>
    public string ServiceName { get; init; } = "egress-tls";

    /// <summary>The MutatingWebhookConfiguration whose webhooks' <c>caBundle</c> is kept current.</summary>
    public string WebhookConfigurationName { get; init; } = "egress-tls";

    /// <summary>Lifetime of the serving certificate.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(8760);

    /// <summary>Renew the serving certificate when less than this remains.</summary>
    public TimeSpan RenewBefore { get; init; } = TimeSpan.FromHours(720);

    /// <summary>Lifetime of the serving CA (default ten serving-certificate lifetimes).</summary>
    public TimeSpan CaDuration { get; init; } = TimeSpan.FromHours(87600);

    /// <summary>Stage the next serving CA when less than this remains of the current one (default one
    /// serving-certificate lifetime, so a certificate never has to be cut short by its CA's end).</summary>
    public TimeSpan CaRenewBefore { get; init; } = TimeSpan.FromHours(8760);

    /// <summary>How long a staged CA sits in every caBundle before it signs anything: enough for every replica
    /// to patch and for the API server to reload the webhook configuration.</summary>
    public TimeSpan CaPropagation { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often each replica re-reads the Secret and checks the caBundle.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Field manager of the caBundle patch.</summary>
    public string FieldManager { get; init; } = "egress-tls";
}
