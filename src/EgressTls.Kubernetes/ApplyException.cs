namespace EgressTls.Kubernetes;

/// <summary>The desired objects could not be applied; <see cref="Exception.Message"/> is safe to show users
/// (no Secret data) and says what failed.</summary>
public sealed class ApplyException(string message, Exception? inner = null) : Exception(message, inner);
