namespace EgressTls.Pki.Tests;

public sealed class RenewalPolicyTests
{
    private static readonly DateTimeOffset NotAfter = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Defaults_are_one_year_and_thirty_days()
    {
        RenewalPolicy.Default.Duration.Should().Be(TimeSpan.FromHours(8760));
        RenewalPolicy.Default.RenewBefore.Should().Be(TimeSpan.FromHours(720));
    }

    [Fact]
    public void Renewal_starts_exactly_renewBefore_ahead_of_expiry()
    {
        var p = RenewalPolicy.Default;
        var due = NotAfter - TimeSpan.FromHours(720);
        p.RenewalTime(NotAfter).Should().Be(due);
        p.NeedsRenewal(NotAfter, due - TimeSpan.FromTicks(1)).Should().BeFalse();
        p.NeedsRenewal(NotAfter, due).Should().BeTrue();
        p.NeedsRenewal(NotAfter, NotAfter + TimeSpan.FromDays(1)).Should().BeTrue("expired certificates are due too");
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(10, 10)]
    [InlineData(10, 0)]
    [InlineData(10, 11)]
    public void RenewBefore_must_be_positive_and_shorter_than_duration(int durationHours, int renewBeforeHours)
    {
        var act = () => new RenewalPolicy(TimeSpan.FromHours(durationHours), TimeSpan.FromHours(renewBeforeHours));
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
