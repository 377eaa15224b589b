using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

public sealed class LeafReaderTests
{
    [Fact]
    public void A_stored_leaf_reads_back_as_issued()
    {
        var ca = Fixtures.Ca();
        var issued = LeafIssuer.Issue(ca, Fixtures.Request("b.example.test", "*.a.example.test", "10.0.0.1"), TimeProvider.System, Randomness.Real());

        var read = LeafReader.Read(issued.TlsCrt, issued.TlsKey, ca);

        read.Should().NotBeNull();
        read!.Should().BeEquivalentTo(issued);
        LeafCacheKey.For(read!.Names, ca).Should().Be(LeafCacheKey.For(["10.0.0.1", "B.example.test", "*.a.example.test"], ca));
    }

    [Fact]
    public void Leaves_of_another_CA_mismatched_keys_and_garbage_read_as_null()
    {
        var ca = Fixtures.Ca(seed: 1);
        var other = Fixtures.Ca(seed: 2);
        var mine = LeafIssuer.Issue(ca, Fixtures.Request("x.test"), TimeProvider.System, Randomness.Real());
        var theirs = LeafIssuer.Issue(other, Fixtures.Request("x.test"), TimeProvider.System, Randomness.Real());

        LeafReader.Read(theirs.TlsCrt, theirs.TlsKey, ca).Should().BeNull();
        LeafReader.Read(mine.TlsCrt, theirs.TlsKey, ca).Should().BeNull();
        LeafReader.Read("garbage", mine.TlsKey, ca).Should().BeNull();
        LeafReader.Read(mine.TlsCrt, null, ca).Should().BeNull();
    }

    [Fact]
    public void Public_roots_pem_is_deduplicated_and_ordered()
    {
        var r1 = Fixtures.Ca(seed: 3).Certificate;
        var r2 = Fixtures.Ca(seed: 4).Certificate;
        var a = TrustBundleBuilder.PublicRootsPem("# x\n" + Pem.EncodeCertificates([r1, r2, r1]));
        var b = TrustBundleBuilder.PublicRootsPem(Pem.EncodeCertificates([r2, r1]));
        a.Should().Be(b);
        Pem.Blocks(a).Should().HaveCount(2);
    }
}
