using System.Collections.Immutable;

namespace EgressTls.Core.Injection;

/// <summary>Names and files of the trust bundle as pods see it.</summary>
public static class TrustPaths
{
    /// <summary>The pod volume holding the namespace trust bundle ConfigMap.</summary>
    public const string VolumeName = "egress-tls-trust";

    /// <summary>The pod volume that projects the bundle under the system file names (<c>ca-system-paths</c>).</summary>
    public const string SystemVolumeName = "egress-tls-system-trust";

    /// <summary>ConfigMap key: the interception CA certificates only (old and new during rotation).</summary>
    public const string CaFile = "ca.crt";

    /// <summary>ConfigMap key: public roots plus the interception CA.</summary>
    public const string BundleFile = "ca-bundle.crt";

    /// <summary>ConfigMap key (binaryData): PKCS12 truststore of every root plus the CA.</summary>
    public const string TruststoreFile = "truststore.p12";

    /// <summary>Password of <see cref="TruststoreFile"/> (the JDK's conventional one; the store holds no secret).</summary>
    public const string TruststorePassword = "changeit";

    /// <summary>
    /// System bundle directories shadowed when <c>ca-system-paths</c> is true: Debian/Ubuntu/Alpine/
    /// distroless read <c>/etc/ssl/certs/ca-certificates.crt</c> (Java: <c>java/cacerts</c>); RHEL/UBI read
    /// <c>/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem</c> (peers.md C2, Go's search list).
    /// </summary>
    public static ImmutableArray<string> SystemDirectories { get; } = ["/etc/ssl/certs", "/etc/pki/ca-trust/extracted/pem"];

    /// <summary>
    /// The files of the system volume: every name a runtime looks for in those directories. UBI's
    /// <c>/etc/ssl/certs</c> is a symlink to <c>/etc/pki/tls/certs</c>, whose <c>ca-bundle.crt</c> must
    /// stay readable when the directory is shadowed (kserve #5157 broke on exactly that).
    /// </summary>
    public static ImmutableArray<(string Key, string Path)> SystemItems { get; } =
    [
        (BundleFile, "ca-certificates.crt"),
        (BundleFile, "ca-bundle.crt"),
        (BundleFile, "tls-ca-bundle.pem"),
        (TruststoreFile, "java/cacerts"),
    ];
}
