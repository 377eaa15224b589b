using EgressTls.Pki;
using Org.BouncyCastle.Security;

namespace EgressTls.Kubernetes;

/// <summary>Generates the interception CA with the PKI for <see cref="CaSecretStore"/>.</summary>
public sealed class PkiCaGenerator(CaOptions options, TimeProvider time, SecureRandom random) : ICaGenerator
{
    /// <inheritdoc />
    public CaKeyPair Generate()
    {
        var data = CertificateAuthority.Generate(options, time, random).ToSecretData();
        return new CaKeyPair(data.TlsCrt, data.TlsKey);
    }
}
