namespace EgressTls.Core.Model;

/// <summary>
/// A destination host and TCP port as the user wrote it, normalised: host lower-cased without a
/// trailing dot; a DNS name, a <c>*.</c> wildcard of one label, or an IP literal (IPv6 without brackets).
/// </summary>
/// <param name="Host">Normalised host.</param>
/// <param name="Port">TCP port, 1-65535.</param>
public sealed record HostPort(string Host, int Port) : IComparable<HostPort>
{
    /// <summary>True when <see cref="Host"/> is a <c>*.</c> wildcard.</summary>
    public bool IsWildcard => Host.StartsWith("*.", StringComparison.Ordinal);

    /// <summary>True when <see cref="Host"/> is an IPv4 or IPv6 literal.</summary>
    public bool IsIpAddress => System.Net.IPAddress.TryParse(Host, out _);

    /// <inheritdoc />
    public int CompareTo(HostPort? other)
    {
        if (other is null) return 1;
        var byHost = string.CompareOrdinal(Host, other.Host);
        return byHost != 0 ? byHost : Port.CompareTo(other.Port);
    }

    /// <summary><c>host:port</c>, with IPv6 literals bracketed.</summary>
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
