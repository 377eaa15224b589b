namespace EgressTls.Webhook.Rendering;

/// <summary>A JSON patch cannot be applied to the document (a missing parent, a failed test...).</summary>
internal sealed class JsonPatchException(string message) : Exception(message);
