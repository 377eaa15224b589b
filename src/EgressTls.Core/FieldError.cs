namespace EgressTls.Core;

/// <summary>
/// A user mistake, reported as data: the field it concerns (a JSON-path-like location such as
/// <c>metadata.annotations[egress-tls.io/intercept]</c>) and a message that states what was found and
/// the expected form.
/// </summary>
/// <param name="Field">Where the mistake is, in the object the user wrote.</param>
/// <param name="Message">What is wrong and what form is expected.</param>
public sealed record FieldError(string Field, string Message)
{
    /// <summary>Formats the error as <c>field: message</c>, the form used in denials and logs.</summary>
    public override string ToString() => $"{Field}: {Message}";
}
