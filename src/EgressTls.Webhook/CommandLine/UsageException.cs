namespace EgressTls.Webhook.CommandLine;

/// <summary>The command line is wrong (unknown option, missing value); the process exits with code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
