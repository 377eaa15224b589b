namespace EgressTls.Webhook.Configuration;

/// <summary>The configuration is invalid; the message names the file and every offending field.
/// <c>serve</c> prints it and exits with code 2.</summary>
internal sealed class ConfigException(string message) : Exception(message);
