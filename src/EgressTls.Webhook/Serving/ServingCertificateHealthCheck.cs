using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EgressTls.Webhook.Serving;

/// <summary>Ready when a serving certificate is loaded and currently valid.</summary>
internal sealed class ServingCertificateHealthCheck(ServingCertificate certificate, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var current = certificate.Certificate;
        if (!certificate.Loaded)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(certificate.WaitingFor));
        }

        var now = time.GetUtcNow();
        var result = now < current.NotBefore.ToUniversalTime() || now > current.NotAfter.ToUniversalTime()
            ? HealthCheckResult.Unhealthy($"the serving certificate is valid from {current.NotBefore.ToUniversalTime():o} to {current.NotAfter.ToUniversalTime():o}")
            : HealthCheckResult.Healthy();
        return Task.FromResult(result);
    }
}
