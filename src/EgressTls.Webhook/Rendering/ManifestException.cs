namespace EgressTls.Webhook.Rendering;

/// <summary>The input of <c>render</c> is not a stream of Kubernetes objects; <c>render</c> exits with code 1.</summary>
internal sealed class ManifestException(string message) : Exception(message);
