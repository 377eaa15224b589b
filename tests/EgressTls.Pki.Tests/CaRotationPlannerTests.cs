using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

public sealed class CaRotationPlannerTests
{
    private static readonly TimeSpan Year = TimeSpan.FromDays(365);
    private static readonly CaRotationPolicy Policy = new(RenewBefore: Year, Propagation: TimeSpan.FromHours(24), LeafRetention: TimeSpan.FromDays(90));

    private static CertificateAuthority Ca(ManualTimeProvider time, long seed, TimeSpan? duration = null) =>
        CertificateAuthority.Generate(new CaOptions(KeyAlgorithm.EcdsaP256, duration ?? TimeSpan.FromDays(3650)), time, Randomness.Seeded(seed));

    private static Func<CertificateAuthority> Never => () => throw new InvalidOperationException("no CA may be made now");

    [Fact]
    public void Far_from_expiry_nothing_is_due_and_no_CA_is_made()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Ca(time, 1);
        var s = CaRotation.Start(a, time);
        time.Advance(TimeSpan.FromDays(3650) - Year - TimeSpan.FromSeconds(1));

        var step = CaRotationPlanner.Advance(s, a, Policy, time, null, Never);

        step.Changed.Should().BeFalse();
        step.State.Should().BeSameAs(s);
    }

    [Fact]
    public void Near_expiry_a_new_CA_is_trusted_first_signs_after_propagation_and_the_old_one_leaves_after_its_leaves()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Ca(time, 1);
        var s = CaRotation.Start(a, time);
        time.Set(Policy.RenewalTime(a));
        var b = Ca(time, 2);
        var made = 0;

        var introduced = CaRotationPlanner.Advance(s, a, Policy, time, null, () => { made++; return b; });

        made.Should().Be(1);
        introduced.Changes.Should().ContainSingle().Which.Should().Contain("introduced").And.Contain("expires");
        introduced.State.SigningFingerprint.Should().Be(a.Fingerprint, "B is not in every pod's bundle yet");
        introduced.State.BundleAnchors.Should().Equal(a.TrustAnchor, b.TrustAnchor);

        time.Advance(Policy.Propagation - TimeSpan.FromSeconds(1));
        var waiting = CaRotationPlanner.Advance(introduced.State, a, Policy, time, null, Never);
        waiting.Changed.Should().BeFalse("B waits the whole propagation time, and a second next CA is never made");

        time.Advance(TimeSpan.FromSeconds(1));
        var promotedAt = time.GetUtcNow();
        var promoted = CaRotationPlanner.Advance(waiting.State, a, Policy, time, null, Never);
        promoted.State.SigningFingerprint.Should().Be(b.Fingerprint);
        promoted.State.BundleAnchors.Should().Equal(b.TrustAnchor, a.TrustAnchor);
        promoted.State.Retiring.Single().LastLeafNotAfter.Should().Be(promotedAt + Policy.LeafRetention);

        time.Set(promotedAt + Policy.LeafRetention - TimeSpan.FromSeconds(1));
        CaRotationPlanner.Advance(promoted.State, b, Policy, time, null, Never).Changed.Should().BeFalse("a leaf A signed may still be in use");

        time.Set(promotedAt + Policy.LeafRetention);
        var retired = CaRotationPlanner.Advance(promoted.State, b, Policy, time, null, Never);
        retired.State.BundleAnchors.Should().Equal(b.TrustAnchor);
        retired.Changes.Should().ContainSingle().Which.Should().Contain("retired");
    }

    [Fact]
    public void A_retiring_CA_whose_own_certificate_expired_leaves_even_before_its_leaf_retention()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Ca(time, 1, duration: TimeSpan.FromDays(30));
        var b = Ca(time, 2);
        var s = CaRotation.Start(a, time).Introduce(b, time);
        time.Advance(Policy.Propagation);
        s = CaRotationPlanner.Advance(s, a, Policy, time, null, Never).State;
        s.Retiring.Should().ContainSingle();

        time.Set(a.NotAfter + TimeSpan.FromSeconds(1));
        CaRotationPlanner.Advance(s, b, Policy, time, null, Never).State.Retiring.Should().BeEmpty();
    }

    [Fact]
    public void A_request_introduces_a_CA_at_once_and_a_repeated_request_while_one_waits_makes_no_other()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Ca(time, 1);
        var b = Ca(time, 2);
        var s = CaRotationPlanner.Advance(CaRotation.Start(a, time), a, Policy, time, CaRotationDemand.Requested, () => b).State;
        s.Next!.CaFingerprint.Should().Be(b.Fingerprint);

        CaRotationPlanner.Advance(s, a, Policy, time, CaRotationDemand.Requested, Never).Changed.Should().BeFalse();
    }

    [Fact]
    public void An_imported_CA_is_introduced_when_it_changes_and_never_generated_near_expiry()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Ca(time, 1);
        var b = Ca(time, 2);
        var c = Ca(time, 3);
        var s = CaRotation.Start(a, time);

        time.Set(Policy.RenewalTime(a) + TimeSpan.FromDays(1));
        CaRotationPlanner.Advance(s, a, Policy, time, CaRotationDemand.Imported(a.Fingerprint), Never).Changed
            .Should().BeFalse("in import mode the operator supplies the next CA; egress-tls never makes one");

        s = CaRotationPlanner.Advance(s, a, Policy, time, CaRotationDemand.Imported(b.Fingerprint), () => b).State;
        s.Next!.CaFingerprint.Should().Be(b.Fingerprint);
        CaRotationPlanner.Advance(s, a, Policy, time, CaRotationDemand.Imported(b.Fingerprint), Never).Changed.Should().BeFalse();

        time.Advance(TimeSpan.FromHours(1));
        var replaced = CaRotationPlanner.Advance(s, a, Policy, time, CaRotationDemand.Imported(c.Fingerprint), () => c).State;
        replaced.Next!.CaFingerprint.Should().Be(c.Fingerprint, "the import changed again before B was promoted");
        replaced.Next.PublishedAt.Should().Be(time.GetUtcNow(), "C's propagation time starts when C is published");
        replaced.BundleAnchors.Should().Equal(a.TrustAnchor, c.TrustAnchor);
    }

    [Fact]
    public void An_import_reverted_to_the_active_CA_withdraws_the_waiting_one_instead_of_promoting_it()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Ca(time, 1);
        var b = Ca(time, 2);
        var s = CaRotation.Start(a, time);
        s = CaRotationPlanner.Advance(s, a, Policy, time, CaRotationDemand.Imported(b.Fingerprint), () => b).State;

        // The operator puts A back into the import Secret before B has propagated.
        time.Advance(TimeSpan.FromHours(1));
        var withdrawn = CaRotationPlanner.Advance(s, a, Policy, time, CaRotationDemand.Imported(a.Fingerprint), Never);

        withdrawn.Changes.Should().ContainSingle().Which.Should().StartWith("withdrew CA");
        withdrawn.State.Next.Should().BeNull("B signed nothing, so it can leave the bundles at once");
        withdrawn.State.BundleAnchors.Should().Equal(a.TrustAnchor);
        time.Advance(Policy.Propagation);
        var later = CaRotationPlanner.Advance(withdrawn.State, a, Policy, time, CaRotationDemand.Imported(a.Fingerprint), Never);
        later.Changed.Should().BeFalse();
        later.State.SigningFingerprint.Should().Be(a.Fingerprint, "the import Secret holds A: B must never sign");
    }

    [Fact]
    public void The_active_CA_passed_must_be_the_one_the_state_signs_with()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Ca(time, 1);
        var act = () => CaRotationPlanner.Advance(CaRotation.Start(a, time), Ca(time, 2), Policy, time, null, Never);
        act.Should().Throw<ArgumentException>().WithParameterName("active");
    }

    [Fact]
    public void An_expired_active_CA_is_replaced_at_once_by_a_new_one()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Ca(time, 1, duration: TimeSpan.FromDays(30));
        var b = Ca(time, 2);
        time.Set(a.NotAfter + TimeSpan.FromDays(3));

        var step = CaRotationPlanner.Advance(CaRotation.Start(a, time), a, Policy, time, null, () => b);

        step.State.SigningFingerprint.Should().Be(b.Fingerprint, "an overlap cannot save leaves that already fail");
        step.Changes.Should().ContainSingle().Which.Should().Contain("replaced").And.Contain("expired");
        CaRotationPlanner.Advance(step.State, b, Policy, time, null, Never).State.BundleAnchors
            .Should().Equal([b.TrustAnchor], "the expired CA's anchor leaves at the next step");
    }

    [Fact]
    public void An_expired_active_CA_promotes_a_waiting_CA_without_the_propagation_wait_and_makes_none()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Ca(time, 1, duration: TimeSpan.FromDays(30));
        var b = Ca(time, 2);
        time.Set(a.NotAfter - TimeSpan.FromMinutes(1));
        var s = CaRotation.Start(a, time).Introduce(b, time);
        time.Advance(TimeSpan.FromMinutes(2));

        CaRotationPlanner.Advance(s, a, Policy, time, null, Never).State.SigningFingerprint.Should().Be(b.Fingerprint);
    }

    [Fact]
    public void An_expired_imported_CA_that_was_not_replaced_stays_until_the_operator_supplies_one()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var a = Ca(time, 1, duration: TimeSpan.FromDays(30));
        time.Set(a.NotAfter + TimeSpan.FromDays(1));

        CaRotationPlanner.Advance(CaRotation.Start(a, time), a, Policy, time, CaRotationDemand.Imported(a.Fingerprint), Never).Changed.Should().BeFalse();
    }
}
