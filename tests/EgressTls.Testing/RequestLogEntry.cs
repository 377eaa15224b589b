namespace EgressTls.Testing;

/// <summary>One request the <see cref="StandInApiServer"/> received, in arrival order.</summary>
/// <param name="Verb"><c>get</c>, <c>list</c>, <c>watch</c>, <c>create</c>, <c>update</c>, <c>apply</c>
/// (server-side apply), <c>patch</c> (merge or JSON patch), <c>delete</c>.</param>
/// <param name="Path">The request path.</param>
/// <param name="Resource">Resource plural, e.g. <c>secrets</c>.</param>
/// <param name="Namespace">Namespace from the path, if any.</param>
/// <param name="Name">Object name from the path (or the applied body), if any.</param>
/// <param name="FieldManager">The <c>fieldManager</c> query parameter, if any.</param>
/// <param name="DryRun">True when <c>dryRun=All</c> was asked.</param>
/// <param name="StatusCode">The status code answered (0 for a dropped connection).</param>
public sealed record RequestLogEntry(
    string Verb,
    string Path,
    string Resource,
    string? Namespace,
    string? Name,
    string? FieldManager,
    bool DryRun,
    int StatusCode)
{
    /// <summary>True for verbs that change state (create, update, apply, patch, delete).</summary>
    public bool IsWrite => Verb is "create" or "update" or "apply" or "patch" or "delete";
}
