using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EgressTls.Webhook.Serving;

/// <summary>
/// <c>/healthz</c> (liveness: the process serves requests) and <c>/readyz</c> (every health check tagged
/// <see cref="ReadyTag"/> is healthy). The readiness registry is ASP.NET Core's health checks: others add
/// theirs with <c>services.AddHealthChecks().AddCheck(name, check, tags: [HealthEndpoints.ReadyTag])</c>.
/// </summary>
internal static class HealthEndpoints
{
    /// <summary>Tag of the checks that decide readiness.</summary>
    public const string ReadyTag = "ready";

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
    }

    // Plain text, one line per check, like the Kubernetes API server's own /readyz?verbose.
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var text = new StringBuilder();
        foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append(entry.Status == HealthStatus.Healthy ? "[+]" : "[-]").Append(name);
            text.Append(entry.Status == HealthStatus.Healthy ? " ok" : " failed: " + entry.Description).Append('\n');
        }

        text.Append(report.Status == HealthStatus.Healthy ? "ok\n" : "not ready\n");
        return context.Response.WriteAsync(text.ToString(), Encoding.UTF8);
    }
}
