using System.Net;
using EgressTls.Webhook.Configuration;

namespace EgressTls.Webhook.Serving;

/// <summary>What <c>serve</c> runs with.</summary>
/// <param name="Config">The validated configuration.</param>
/// <param name="Standalone">No cluster (see <see cref="Admission.StandaloneAdmissionContextReader"/>).</param>
/// <param name="BindAddress">Address to listen on; <c>null</c> for every address (IPv4 and IPv6).</param>
internal sealed record ServeSettings(WebhookConfig Config, bool Standalone, IPAddress? BindAddress = null);
