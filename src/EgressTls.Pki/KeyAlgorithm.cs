namespace EgressTls.Pki;

/// <summary>
/// Key algorithms the CA and its leaves may use. Parse configuration strings with
/// <see cref="KeyAlgorithms.TryParse"/>; the accepted forms are listed in <see cref="KeyAlgorithms.AcceptedForms"/>.
/// </summary>
public enum KeyAlgorithm
{
    /// <summary>ECDSA on NIST P-256 (secp256r1), signatures with SHA-256. The default: small and fast.</summary>
    EcdsaP256,

    /// <summary>ECDSA on NIST P-384 (secp384r1), signatures with SHA-384.</summary>
    EcdsaP384,

    /// <summary>RSA with a 2048-bit modulus, signatures SHA256withRSA (PKCS#1 v1.5).</summary>
    Rsa2048,

    /// <summary>RSA with a 3072-bit modulus.</summary>
    Rsa3072,

    /// <summary>RSA with a 4096-bit modulus.</summary>
    Rsa4096,
}
