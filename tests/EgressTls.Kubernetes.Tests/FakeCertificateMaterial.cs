using System.Collections.Immutable;
using EgressTls.Kubernetes;

namespace EgressTls.Kubernetes.Tests;

/// <summary>Counts issuances; the PEM bodies are placeholders (the PKI project tests real certificates).</summary>
internal sealed class FakeCertificateMaterial : ICertificateMaterial
{
    private int leaves;

    public string Fingerprint { get; set; } = "ca-1";

    public int LeavesIssued => Volatile.Read(ref leaves);

    public string PublicRootsPem => "-----BEGIN CERTIFICATE-----\nUFVCTElDLVJPT1RT\n-----END CERTIFICATE-----\n";

    public LeafMaterial GetLeaf(ImmutableArray<string> dnsNames, ImmutableArray<string> ipAddresses)
    {
        var n = Interlocked.Increment(ref leaves);
        Thread.Sleep(20); // issuance takes time: concurrent callers must not each issue
        return new LeafMaterial($"-----BEGIN CERTIFICATE-----\nLEAF-{n}-{string.Join(",", dnsNames)}\n-----END CERTIFICATE-----\n", $"-----BEGIN PRIVATE KEY-----\nKEY-{n}\n-----END PRIVATE KEY-----\n");
    }

    public TrustBundleMaterial GetTrustBundle() => new("CA-PEM " + Fingerprint, "ROOTS+CA " + Fingerprint, [1, 2, 3]);
}
