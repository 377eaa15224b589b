using System.Text;

namespace EgressTls.Core.Patching;

/// <summary>RFC 6901 JSON pointers built from unescaped reference tokens.</summary>
public static class JsonPointer
{
    /// <summary>
    /// Escapes one reference token: <c>~</c> becomes <c>~0</c> first, then <c>/</c> becomes <c>~1</c>
    /// (RFC 6901 section 3; the other order would turn <c>/</c> into <c>~01</c>). Annotation and label
    /// keys such as <c>egress-tls.io/status</c> need this (OPA library #25, kustomize #1256).
    /// </summary>
    public static string Escape(string token) =>
        token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    /// <summary>Joins unescaped tokens into a pointer: <c>["metadata", "labels", "a/b"]</c> is <c>/metadata/labels/a~1b</c>.</summary>
    public static string Format(IEnumerable<string> tokens)
    {
        var builder = new StringBuilder();
        foreach (var token in tokens)
        {
            builder.Append('/').Append(Escape(token));
        }

        return builder.ToString();
    }
}
