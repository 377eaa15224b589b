using System.Security.Cryptography;
using System.Text;

namespace EgressTls.Core;

/// <summary>
/// The names and labels egress-tls puts on what it writes. Every generated name is derived from its
/// inputs (a hash suffix), so the same input always yields the same name and two namespaces never
/// collide in a shared namespace such as <c>cilium-secrets</c>.
/// </summary>
public static class Naming
{
    /// <summary>The annotation and label prefix.</summary>
    public const string Prefix = "egress-tls.io/";

    private static readonly byte[] PrefixUtf8 = Encoding.UTF8.GetBytes(Prefix);

    /// <summary>Whether a label or annotation read as parsed JSON is named with <see cref="Prefix"/> (compared as
    /// the bytes sent, without making a string of the name, unless JSON escaped it).</summary>
    public static bool IsOwn(System.Text.Json.JsonProperty member) => JsonMembers.NameStartsWith(member, Prefix, PrefixUtf8);

    /// <summary>Label on every object egress-tls writes (<c>app.kubernetes.io/managed-by=egress-tls</c>).</summary>
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    /// <summary>Value of <see cref="ManagedByLabel"/>.</summary>
    public const string ManagedByValue = "egress-tls";

    /// <summary>Label on pods (and on the objects generated for them) naming their profile.</summary>
    public const string ProfileLabel = Prefix + "profile";

    /// <summary>Label on generated objects that live outside the workload's namespace (or are
    /// cluster-scoped): the workload namespace they were generated for.</summary>
    public const string SourceNamespaceLabel = Prefix + "source-namespace";

    /// <summary>Label on the objects generated for a Flux Provider (policy, Envoy config): the Provider's name
    /// (<see cref="LabelValue"/>). The reconciler deletes such objects whose Provider no longer exists or no
    /// longer asks for them.</summary>
    public const string ProviderLabel = Prefix + "provider";

    /// <summary>Opt-in label on namespaces and pods (<c>true</c>); <c>false</c> on a pod opts it out.</summary>
    public const string EnabledLabel = Prefix + "enabled";

    /// <summary>
    /// Lower-case hex of the SHA-256 of <paramref name="canonical"/>, truncated to <paramref name="length"/>
    /// characters (10 by default: 40 bits, ample for the number of profiles in a cluster).
    /// </summary>
    public static string ShortHash(string canonical, int length = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 4);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 64);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
        return Convert.ToHexStringLower(digest)[..length];
    }

    /// <summary>
    /// A DNS-1123 name (at most <paramref name="maxLength"/> characters) made of readable parts and a
    /// hash of all of them, e.g. <c>egress-tls-team-a-client-cert-3f9a01c2b4</c>. Parts are truncated so
    /// the hash always fits; the hash is computed over the untruncated parts, so truncation never causes
    /// a collision.
    /// </summary>
    public static string Compose(IReadOnlyList<string> parts, int maxLength = 63)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 20);
        var hash = ShortHash(string.Join('\0', parts));
        var budget = maxLength - hash.Length - 1;
        var readable = string.Join('-', parts.Select(Sanitize).Where(p => p.Length > 0));
        if (readable.Length > budget)
        {
            readable = readable[..budget];
        }

        readable = readable.Trim('-');
        return readable.Length == 0 ? hash : $"{readable}-{hash}";
    }

    /// <summary>
    /// <paramref name="name"/> as a label value: unchanged when it is one (at most 63 characters of letters,
    /// digits, '-', '_' and '.', starting and ending with a letter or digit), else <see cref="Compose"/> of it
    /// (object names may have up to 253 characters, label values only 63).
    /// </summary>
    public static string LabelValue(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var valid = name.Length is > 0 and <= 63
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);
        return valid ? name : Compose([name]);
    }

    private static string Sanitize(string part)
    {
        var builder = new StringBuilder(part.Length);
        foreach (var c in part.ToLowerInvariant())
        {
            builder.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-');
        }

        return builder.ToString().Trim('-');
    }
}
