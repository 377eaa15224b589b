using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace EgressTls.Webhook.Serving;

/// <summary>
/// The HTTPS certificate, read from PEM files and reloaded when they change, or an ephemeral self-signed
/// one. Each TLS handshake asks for <see cref="Current"/>, which compares a hash of the files with the
/// loaded one: no watcher thread and no race between a file event and the next handshake. Hashing the
/// content also covers a Kubernetes Secret volume, which updates atomically by re-pointing the
/// <c>..data</c> symlink so that neither <c>tls.crt</c> nor its directory entry changes. A half-written pair (new certificate, old key) fails to load and the previous
/// certificate stays in use until the pair is consistent.
/// </summary>
internal sealed class ServingCertificate : IDisposable
{
    private readonly string? certFile;
    private readonly string? keyFile;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private SslStreamCertificateContext current;
    private X509Certificate2 certificate;
    private string fingerprint;
    private string failedFingerprint = "";

    private ServingCertificate(string? certFile, string? keyFile, X509Certificate2 certificate, string fingerprint, ILogger logger)
    {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.logger = logger;
        this.certificate = certificate;
        this.fingerprint = fingerprint;
        current = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
    }

    /// <summary>True when the certificate comes from files (and is reloaded); false for an ephemeral one.</summary>
    public bool FromFiles => certFile is not null;

    /// <summary>False while configured files have yet to appear, or a supplied certificate has yet to be
    /// supplied (an ephemeral certificate answers meanwhile).</summary>
    public bool Loaded { get; private set; } = true;

    /// <summary>True when the certificate is supplied in memory (<see cref="Supply"/>, self-managed mode).</summary>
    public bool Supplied { get; private init; }

    /// <summary>What readiness waits for while <see cref="Loaded"/> is false.</summary>
    public string WaitingFor { get; set; } = "waiting for the serving certificate files (server.certFile, server.keyFile)";

    /// <summary>The certificate in use (after a reload check).</summary>
    public X509Certificate2 Certificate
    {
        get
        {
            _ = Current;
            lock (gate)
            {
                return certificate;
            }
        }
    }

    /// <summary>The certificate context for the next handshake, reloaded first if the files changed.</summary>
    public SslStreamCertificateContext Current
    {
        get
        {
            if (certFile is null || keyFile is null)
            {
                return current;
            }

            var seen = Fingerprint(certFile, keyFile);
            lock (gate)
            {
                if (seen == fingerprint || seen == failedFingerprint)
                {
                    return current;
                }

                try
                {
                    var (loaded, chain) = Load(certFile, keyFile);
                    var previous = certificate;
                    certificate = loaded;
                    current = SslStreamCertificateContext.Create(loaded, chain, offline: true);
                    fingerprint = seen;
                    failedFingerprint = "";
                    Loaded = true;
                    logger.LogInformation(
                        "Reloaded the serving certificate {Subject} (thumbprint {Thumbprint}, expires {NotAfter:o})",
                        loaded.Subject, loaded.Thumbprint, loaded.NotAfter.ToUniversalTime());
                    previous.Dispose();
                }
                catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
                {
                    // Typical mid-update state; remember the pair so we log once and retry when it changes again.
                    failedFingerprint = seen;
                    logger.LogWarning(
                        "Cannot reload the serving certificate from {CertFile} and {KeyFile}, keeping the previous one: {Error}",
                        certFile, keyFile, ex.Message);
                }

                return current;
            }
        }
    }

    /// <summary>
    /// Loads the certificate files. When they do not exist yet (self-managed mode: the certificate is written
    /// after start), <paramref name="placeholder"/> answers handshakes and readiness fails until they appear.
    /// </summary>
    /// <exception cref="Configuration.ConfigException">The files exist but do not form a certificate and key pair.</exception>
    public static ServingCertificate FromPemFiles(string certFile, string keyFile, Func<X509Certificate2> placeholder, ILogger logger)
    {
        if (!File.Exists(certFile) || !File.Exists(keyFile))
        {
            return new ServingCertificate(certFile, keyFile, placeholder(), "", logger) { Loaded = false };
        }

        var fingerprint = Fingerprint(certFile, keyFile);
        try
        {
            var (certificate, chain) = Load(certFile, keyFile);
            var result = new ServingCertificate(certFile, keyFile, certificate, fingerprint, logger);
            if (chain is { Count: > 0 })
            {
                result.current = SslStreamCertificateContext.Create(certificate, chain, offline: true);
            }

            return result;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new Configuration.ConfigException(
                $"server.certFile/server.keyFile: cannot load a certificate and key from {certFile} and {keyFile}: {ex.Message}");
        }
    }

    /// <summary>
    /// A certificate supplied later in memory (<see cref="Supply"/>): the self-managed serving certificate,
    /// read from its Secret by the API, so nothing is mounted and nothing written to disk. Until then the
    /// placeholder answers handshakes and readiness fails.
    /// </summary>
    public static ServingCertificate Pending(X509Certificate2 placeholder, ILogger logger) =>
        new(null, null, placeholder, "", logger) { Loaded = false, Supplied = true, WaitingFor = "waiting for the self-managed serving certificate" };

    /// <summary>Serves <paramref name="certificatePem"/> from the next handshake on (no-op when unchanged).</summary>
    public void Supply(string certificatePem, string privateKeyPem)
    {
        var seen = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(certificatePem)));
        lock (gate)
        {
            if (seen == fingerprint)
            {
                return;
            }

            var loaded = X509Certificate2.CreateFromPem(certificatePem, privateKeyPem);
            var previous = certificate;
            certificate = loaded;
            current = SslStreamCertificateContext.Create(loaded, additionalCertificates: null, offline: true);
            fingerprint = seen;
            Loaded = true;
            logger.LogInformation(
                "Serving the self-managed certificate {Subject} (thumbprint {Thumbprint}, expires {NotAfter:o})",
                loaded.Subject, loaded.Thumbprint, loaded.NotAfter.ToUniversalTime());
            previous.Dispose();
        }
    }

    /// <summary>An ephemeral self-signed certificate (see <see cref="EphemeralCertificate"/>).</summary>
    public static ServingCertificate Ephemeral(X509Certificate2 certificate, ILogger logger) =>
        new(null, null, certificate, "", logger);

    public void Dispose()
    {
        lock (gate)
        {
            certificate.Dispose();
        }
    }

    private static (X509Certificate2 Certificate, X509Certificate2Collection? Chain) Load(string certFile, string keyFile)
    {
        // CreateFromPemFile takes the first certificate as the leaf and checks that the key matches it.
        var certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certFile);
        X509Certificate2Collection? chain = null;
        if (all.Count > 1)
        {
            chain = [.. all.Skip(1)];
        }

        return (certificate, chain);
    }

    private static string Fingerprint(string certFile, string keyFile) => $"{Identity(certFile)}|{Identity(keyFile)}";

    // A content hash rather than mtime or inode: the same answer however the files were replaced (in
    // place, by rename, or by the Secret volume's symlink swap), and a few kilobytes per handshake.
    private static string Identity(string path)
    {
        try
        {
            return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unreadable";
        }
    }
}
