using EgressTls.Core.Rendering;

namespace EgressTls.Webhook.Admission;

/// <summary>What the admission handler needs from the configuration.</summary>
/// <param name="Options">The core's render options.</param>
/// <param name="Standalone">No cluster: namespaces assumed opted in, Secrets assumed to exist, nothing applied.</param>
/// <param name="Budget">Time for reading the context and applying generated objects (admission.applyTimeout).</param>
/// <param name="FluxEnabled">Whether Flux Providers are rendered (flux.enabled).</param>
/// <param name="MaxRequestBodyBytes">Largest accepted body (server.maxRequestBodyBytes).</param>
internal sealed record AdmissionSettings(
    RenderOptions Options,
    bool Standalone,
    TimeSpan Budget,
    bool FluxEnabled,
    long MaxRequestBodyBytes);
