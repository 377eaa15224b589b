namespace EgressTls.Core.Annotations;

/// <summary>Secret reference syntax: a DNS-1123 subdomain in the pod's own namespace.</summary>
public static class SecretNames
{
    /// <summary>
    /// Returns the problem with <paramref name="name"/> in words, or <c>null</c> when it is a valid Secret
    /// name (DNS-1123 subdomain: at most 253 characters of lower-case letters, digits, '-' and '.',
    /// each dot-separated label starting and ending with a letter or digit). A <c>/</c> is refused with its own message: a pod may
    /// only use Secrets of its own namespace (it could otherwise borrow any namespace's client
    /// certificate through egress-tls's RBAC).
    /// </summary>
    public static string? Check(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return "names another namespace; a pod or Provider may only use Secrets of its own namespace";
        }

        if (name.Length == 0)
        {
            return "is empty";
        }

        if (name.Length > 253)
        {
            return "is longer than 253 characters";
        }

        if (name.Any(c => c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.'))
            // Every dot-separated label starts and ends with a letter or digit (so no "a..b" or "a.-b"), as the
            // API server's DNS-1123 subdomain check requires; a name it would refuse can never be a Secret.
            || name.Split('.').Any(label => label.Length == 0 || !char.IsAsciiLetterOrDigit(label[0]) || !char.IsAsciiLetterOrDigit(label[^1])))
        {
            return "is not a Secret name (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)";
        }

        return null;
    }
}
