using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

public sealed class CaRotationTests
{
    private static readonly TimeSpan Propagation = TimeSpan.FromMinutes(5);

    [Fact]
    public void New_CA_is_trusted_before_it_signs_and_old_CA_stays_until_its_last_leaf_expires()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Fixtures.Ca(seed: 1);
        var b = Fixtures.Ca(seed: 2);
        var s = CaRotation.Start(a, time);
        s.SigningFingerprint.Should().Be(a.Fingerprint);
        s.BundleAnchors.Should().Equal(a.TrustAnchor);

        var leafA = LeafIssuer.Issue(a, Fixtures.Request("x.test"), time, Randomness.Real());
        s = s.RecordLeaf(leafA);

        time.Advance(TimeSpan.FromHours(1));
        s = s.Introduce(b, time);
        s.BundleAnchors.Should().Equal(a.TrustAnchor, b.TrustAnchor);
        s.SigningFingerprint.Should().Be(a.Fingerprint, "B is not in every pod yet");

        time.Advance(Propagation - TimeSpan.FromSeconds(1));
        s.CanPromote(time, Propagation).Should().BeFalse();
        s.Promote(time, Propagation).Should().BeSameAs(s);

        time.Advance(TimeSpan.FromSeconds(1));
        s = s.Promote(time, Propagation);
        s.SigningFingerprint.Should().Be(b.Fingerprint);
        s.Next.Should().BeNull();
        s.BundleAnchors.Should().Equal(b.TrustAnchor, a.TrustAnchor);

        time.Set(leafA.NotAfter - TimeSpan.FromSeconds(1));
        s.Prune(time).Should().BeSameAs(s, "a leaf signed by A is still valid");
        time.Set(leafA.NotAfter);
        s = s.Prune(time);
        s.BundleAnchors.Should().Equal(b.TrustAnchor);
        s.Retiring.Should().BeEmpty();
    }

    [Fact]
    public void Later_leaves_of_a_retiring_CA_extend_its_stay()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Fixtures.Ca(seed: 1);
        var b = Fixtures.Ca(seed: 2);
        var s = CaRotation.Start(a, time).RecordLeaf(a.Fingerprint, Fixtures.T0.AddDays(10)).Introduce(b, time);
        time.Advance(Propagation);
        s = s.Promote(time, Propagation).RecordLeaf(a.Fingerprint, Fixtures.T0.AddDays(20)).RecordLeaf(a.Fingerprint, Fixtures.T0.AddDays(15));
        s.Retiring.Single().LastLeafNotAfter.Should().Be(Fixtures.T0.AddDays(20));
        time.Set(Fixtures.T0.AddDays(19));
        s.Prune(time).BundleAnchors.Should().HaveCount(2);
    }

    [Fact]
    public void A_CA_that_signed_nothing_leaves_the_bundles_at_promotion()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Fixtures.Ca(seed: 1);
        var b = Fixtures.Ca(seed: 2);
        var s = CaRotation.Start(a, time).Introduce(b, time);
        time.Advance(Propagation);
        s.Promote(time, Propagation).BundleAnchors.Should().Equal(b.TrustAnchor);
    }

    [Fact]
    public void Promotion_without_a_next_CA_changes_nothing()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var s = CaRotation.Start(Fixtures.Ca(), time);
        time.Advance(TimeSpan.FromDays(1));
        s.Promote(time, Propagation).Should().BeSameAs(s);
    }
}
