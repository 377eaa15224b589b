using System.Collections.Immutable;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;

namespace EgressTls.Pki;

/// <summary>
/// An interception CA: its certificate, its private key, and the issuers above it. Immutable;
/// built by <see cref="Generate"/> (self-signed root) or <see cref="Import"/> (root or intermediate).
/// </summary>
public sealed record CertificateAuthority
{
    private CertificateAuthority(X509Certificate certificate, AsymmetricKeyParameter privateKey, ImmutableArray<X509Certificate> issuers)
    {
        Certificate = certificate;
        PrivateKey = privateKey;
        Issuers = issuers;
        Fingerprint = CertificateFacts.Fingerprint(certificate);
        KeyIdentifier = CertificateFacts.KeyIdentifier(certificate);
    }

    /// <summary>The CA certificate that signs leaves.</summary>
    public X509Certificate Certificate { get; }

    /// <summary>The CA private key. Never leaves the webhook's namespace.</summary>
    public AsymmetricKeyParameter PrivateKey { get; }

    /// <summary>The certificates above <see cref="Certificate"/>, nearest first, ending with the self-signed root; empty when the CA is itself the root.</summary>
    public ImmutableArray<X509Certificate> Issuers { get; }

    /// <summary>Lowercase hex SHA-256 of the CA certificate; identifies the CA in caches and rotation state.</summary>
    public string Fingerprint { get; }

    /// <summary>The CA's key identifier, copied into each leaf's authorityKeyIdentifier (RFC 5280 4.2.1.1).</summary>
    internal byte[] KeyIdentifier { get; }

    /// <summary>The self-signed root clients must trust: the CA itself, or the last of <see cref="Issuers"/> for an intermediate. Bundles carry this.</summary>
    public X509Certificate TrustAnchor => Issuers.IsEmpty ? Certificate : Issuers[^1];

    /// <summary>
    /// The certificates a server presents after its leaf: the CA and any intermediates above it,
    /// never the root (clients hold it; sending it is useless and some stacks warn). Empty for a root CA.
    /// </summary>
    public ImmutableArray<X509Certificate> LeafChain => Issuers.IsEmpty ? [] : [Certificate, .. Issuers[..^1]];

    /// <summary>When the CA certificate stops being valid (UTC).</summary>
    public DateTimeOffset NotAfter => new(Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>
    /// Generates a self-signed root CA: basicConstraints CA:TRUE critical, keyUsage keyCertSign|cRLSign
    /// critical (RFC 5280 4.2.1.9 / 4.2.1.3), subjectKeyIdentifier, validity from
    /// now - 5 minutes to now + duration. Clock and randomness come only from the arguments.
    /// </summary>
    public static CertificateAuthority Generate(CaOptions options, TimeProvider time, SecureRandom random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        if (options.EffectiveDuration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.EffectiveDuration, "CA duration must be positive");
        }

        var now = time.GetUtcNow();
        var keys = options.Algorithm.GenerateKeyPair(random);
        // The key id in the default CN keeps subjects distinct even for two CAs made in the same second (a rotation
        // requested right after start): the JDK and OpenSSL look issuers up by subject first.
        var ski = X509ExtensionUtilities.CreateSubjectKeyIdentifier(keys.Public);
        var cn = options.CommonName ?? $"egress-tls interception CA {now.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} {Convert.ToHexStringLower(ski.GetKeyIdentifier().AsSpan(0, 4))}";
        var subject = CertificateFacts.Name((X509Name.O, options.Organization), (X509Name.CN, Truncate(cn)));

        var gen = new X509V3CertificateGenerator();
        gen.SetSerialNumber(CertificateFacts.RandomSerial(random));
        gen.SetIssuerDN(subject);
        gen.SetSubjectDN(subject);
        gen.SetNotBefore(CertificateFacts.WholeSecondsUtc(now - CertificateFacts.Backdate));
        gen.SetNotAfter(CertificateFacts.WholeSecondsUtc(now + options.EffectiveDuration));
        gen.SetPublicKey(keys.Public);
        gen.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(true));
        gen.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign));
        gen.AddExtension(X509Extensions.SubjectKeyIdentifier, false, ski);
        var cert = gen.Generate(new Asn1SignatureFactory(CertificateFacts.SignatureAlgorithm(keys.Private), keys.Private, random));
        return new CertificateAuthority(cert, keys.Private, []);
    }

    /// <summary>
    /// Imports a CA from the PEM texts of a Secret. <paramref name="tlsCrt"/> holds the CA certificate
    /// first, optionally followed by its chain; <paramref name="chain"/> (the Secret's <c>ca.crt</c>) may hold further issuers.
    /// <paramref name="tlsKey"/> may be PKCS#8, PKCS#1 (<c>RSA PRIVATE KEY</c>) or SEC1 (<c>EC PRIVATE KEY</c>), unencrypted.
    /// Checks: the certificate is a CA (basicConstraints CA:TRUE; keyCertSign when keyUsage is present,
    /// RFC 5280 4.2.1.3/4.2.1.9), valid at <paramref name="time"/>, the key matches it, and the chain
    /// links by signature up to a self-signed root whose pathLenConstraints it respects, and no certificate of the chain has an
    /// extendedKeyUsage without serverAuth. Problems are returned, all of them, never thrown.
    /// <paramref name="requireValidNow"/> false skips the validity-period checks (reading back a stored CA that
    /// expired while nothing ran, so that it can be replaced rather than block start-up).
    /// </summary>
    public static CaImportResult Import(string? tlsCrt, string? tlsKey, string? chain, TimeProvider time, bool requireValidNow = true)
    {
        ArgumentNullException.ThrowIfNull(time);
        var errors = new List<string>();
        var now = time.GetUtcNow().UtcDateTime;

        var certs = Pem.DecodeCertificates(tlsCrt, out var badCerts);
        if (badCerts > 0)
        {
            errors.Add($"tls.crt: {badCerts} CERTIFICATE block(s) could not be decoded");
        }

        var extra = Pem.DecodeCertificates(chain, out var badChain);
        if (badChain > 0)
        {
            errors.Add($"ca.crt: {badChain} CERTIFICATE block(s) could not be decoded");
        }

        var key = ReadPrivateKey(tlsKey, errors);
        if (certs.Count == 0)
        {
            errors.Add("tls.crt: no certificate found; expected the PEM CA certificate first, optionally followed by its chain");
            return new CaImportResult(null, [.. errors]);
        }

        var ca = certs[0];
        var caName = ca.SubjectDN.ToString();
        if (ca.GetBasicConstraints() < 0)
        {
            errors.Add($"tls.crt: \"{caName}\" is not a CA certificate; expected basicConstraints CA:TRUE (RFC 5280 4.2.1.9)");
        }

        var usage = ca.GetKeyUsage();
        if (usage is not null && (usage.Length <= 5 || !usage[5]))
        {
            errors.Add($"tls.crt: \"{caName}\" keyUsage lacks keyCertSign; a CA must be allowed to sign certificates (RFC 5280 4.2.1.3)");
        }

        if (!AllowsServerAuth(ca))
        {
            errors.Add($"tls.crt: \"{caName}\" {NoServerAuth}");
        }

        if (requireValidNow && (now < ca.NotBefore.ToUniversalTime() || now > ca.NotAfter.ToUniversalTime()))
        {
            errors.Add($"tls.crt: \"{caName}\" is not valid now; validity is {ca.NotBefore.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ} to {ca.NotAfter.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}");
        }

        if (ca.GetPublicKey() is not (ECPublicKeyParameters or RsaKeyParameters))
        {
            errors.Add($"tls.crt: \"{caName}\" has an unsupported key type; expected an ECDSA or RSA key");
        }

        if (key is not null && !CertificateFacts.KeyMatches(ca, key))
        {
            errors.Add("tls.key: the private key does not match the public key of the CA certificate in tls.crt");
        }

        var issuers = BuildChain(ca, [.. certs.Skip(1), .. extra], requireValidNow ? now : null, errors);
        return errors.Count == 0 && key is not null
            ? new CaImportResult(new CertificateAuthority(ca, key, issuers), [])
            : new CaImportResult(null, [.. errors]);
    }

    /// <summary>
    /// The Secret texts that store this CA: tls.crt = CA then issuers up to the root, tls.key = PKCS#8.
    /// Round-trips through <see cref="Import"/>.
    /// </summary>
    public CaSecretData ToSecretData() =>
        new(Pem.EncodeCertificates([Certificate, .. Issuers]), Pem.EncodePrivateKey(PrivateKey));

    private const string NoServerAuth = "has an extendedKeyUsage without serverAuth; TLS clients reject every server certificate it signs (RFC 5280 4.2.1.12)";

    // An extendedKeyUsage on a CA certificate constrains the leaves below it: OpenSSL (purpose sslserver, even with only
    // anyExtendedKeyUsage) and Go reject a server certificate whose chain holds a CA without serverAuth.
    private static bool AllowsServerAuth(X509Certificate certificate) =>
        certificate.GetExtendedKeyUsage() is not { } usages || usages.Contains(KeyPurposeID.id_kp_serverAuth);

    private static string Truncate(string cn) => cn.Length <= 64 ? cn : cn[..64]; // ub-common-name = 64 (RFC 5280 appendix A.1)

    private static ImmutableArray<X509Certificate> BuildChain(X509Certificate ca, IReadOnlyList<X509Certificate> pool, DateTime? now, List<string> errors)
    {
        var issuers = ImmutableArray.CreateBuilder<X509Certificate>();
        var current = ca;
        var seen = new HashSet<string> { CertificateFacts.Fingerprint(ca) };
        // The CA certificates between each issuer and the leaves, for its pathLenConstraint.
        var below = new List<X509Certificate> { ca };
        while (!CertificateFacts.IsSelfSigned(current))
        {
            var issuer = pool.FirstOrDefault(c => c.SubjectDN.Equivalent(current.IssuerDN) && CertificateFacts.SignedBy(current, c.GetPublicKey()));
            if (issuer is null)
            {
                var sameName = pool.Any(c => c.SubjectDN.Equivalent(current.IssuerDN));
                errors.Add(sameName
                    ? $"chain: a certificate named \"{current.IssuerDN}\" is present but did not sign \"{current.SubjectDN}\""
                    : $"chain: the issuer \"{current.IssuerDN}\" of \"{current.SubjectDN}\" is missing; expected the chain up to the self-signed root after the CA in tls.crt or in ca.crt");
                return [];
            }

            if (!seen.Add(CertificateFacts.Fingerprint(issuer)))
            {
                errors.Add($"chain: the chain loops at \"{issuer.SubjectDN}\"");
                return [];
            }

            if (issuer.GetBasicConstraints() < 0)
            {
                errors.Add($"chain: \"{issuer.SubjectDN}\" signs \"{current.SubjectDN}\" but is not a CA certificate");
            }

            if (!AllowsServerAuth(issuer))
            {
                errors.Add($"chain: \"{issuer.SubjectDN}\" {NoServerAuth}");
            }

            if (issuer.GetKeyUsage() is { } issuerUsage && (issuerUsage.Length <= 5 || !issuerUsage[5]))
            {
                errors.Add($"chain: \"{issuer.SubjectDN}\" signs \"{current.SubjectDN}\" but its keyUsage lacks keyCertSign (RFC 5280 4.2.1.3)");
            }

            // RFC 5280 4.2.1.9 / 6.1.4 (l, m): pathLenConstraint bounds the non-self-issued CA certificates that may
            // follow; a chain that exceeds it makes every verifier (OpenSSL, Go, the JDK, .NET) reject our leaves.
            var counted = below.Where(c => !c.SubjectDN.Equivalent(c.IssuerDN)).ToList();
            var pathLen = issuer.GetBasicConstraints();
            if (pathLen >= 0 && pathLen < counted.Count)
            {
                errors.Add($"chain: \"{issuer.SubjectDN}\" has pathLenConstraint {pathLen} but {counted.Count} CA certificate(s) below it ({string.Join(", ", counted.Select(c => $"\"{c.SubjectDN}\""))}); clients reject every leaf this CA signs (RFC 5280 4.2.1.9)");
            }

            below.Add(issuer);

            if (now is { } t && t > issuer.NotAfter.ToUniversalTime())
            {
                errors.Add($"chain: \"{issuer.SubjectDN}\" expired at {issuer.NotAfter.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}");
            }

            issuers.Add(issuer);
            current = issuer;
        }

        return issuers.ToImmutable();
    }

    /// <summary>Reads a private key as <see cref="Import"/> does; null when it cannot.</summary>
    internal static AsymmetricKeyParameter? ReadPrivateKeyForReader(string tlsKey) => ReadPrivateKey(tlsKey, []);

    private static AsymmetricKeyParameter? ReadPrivateKey(string? tlsKey, List<string> errors)
    {
        var blocks = Pem.Blocks(tlsKey).Where(b => b.Label.EndsWith("PRIVATE KEY", StringComparison.Ordinal)).ToList();
        if (blocks.Count == 0)
        {
            errors.Add("tls.key: no private key found; expected an unencrypted PEM PRIVATE KEY (PKCS#8), RSA PRIVATE KEY (PKCS#1) or EC PRIVATE KEY (SEC1)");
            return null;
        }

        if (blocks.Count > 1)
        {
            errors.Add($"tls.key: {blocks.Count} private keys found; expected exactly one");
            return null;
        }

        var (label, der) = blocks[0];
        try
        {
            if (der is null)
            {
                throw new FormatException();
            }

            return label switch
            {
                "PRIVATE KEY" => PrivateKeyFactory.CreateKey(der),
                "RSA PRIVATE KEY" => RsaKey(RsaPrivateKeyStructure.GetInstance(der)),
                "EC PRIVATE KEY" => EcKey(ECPrivateKeyStructure.GetInstance(der)),
                "ENCRYPTED PRIVATE KEY" => throw new NotSupportedException("encrypted"),
                _ => throw new NotSupportedException(label),
            };
        }
        catch (NotSupportedException)
        {
            errors.Add($"tls.key: \"{label}\" is not supported; expected an unencrypted PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY");
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or IOException or InvalidCastException or SecurityUtilityException)
        {
            errors.Add($"tls.key: the {label} block could not be decoded");
            return null;
        }
    }

    private static RsaPrivateCrtKeyParameters RsaKey(RsaPrivateKeyStructure k) =>
        new(k.Modulus, k.PublicExponent, k.PrivateExponent, k.Prime1, k.Prime2, k.Exponent1, k.Exponent2, k.Coefficient);

    private static AsymmetricKeyParameter EcKey(ECPrivateKeyStructure k)
    {
        // SEC1 (RFC 5915) carries the curve in its [0] parameters; wrap it as PKCS#8 to reuse BouncyCastle's decoder.
        var parameters = k.Parameters ?? throw new FormatException("EC PRIVATE KEY without curve parameters");
        var algId = new AlgorithmIdentifier(Org.BouncyCastle.Asn1.X9.X9ObjectIdentifiers.IdECPublicKey, parameters);
        return PrivateKeyFactory.CreateKey(new PrivateKeyInfo(algId, k));
    }
}
