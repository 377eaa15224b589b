using EgressTls.Pki.Tests.Support;

namespace EgressTls.Pki.Tests;

public sealed class LeafCacheTests
{
    [Fact]
    public async Task Two_hundred_concurrent_requests_for_one_name_set_issue_one_leaf()
    {
        var ca = Fixtures.Ca();
        var cache = new LeafCache(RenewalPolicy.Default, TimeProvider.System);
        var issued = 0;
        using var start = new ManualResetEventSlim(false);
        IssuedLeaf Issue(LeafCacheKey key)
        {
            Interlocked.Increment(ref issued);
            Thread.Sleep(100); // keep the issuance open while the other callers arrive
            lock (ca)
            {
                return LeafIssuer.Issue(ca, new LeafRequest(key.Names), TimeProvider.System, Randomness.Real());
            }
        }

        var tasks = Enumerable.Range(0, 200).Select(i => Task.Factory.StartNew(
            () =>
            {
                start.Wait();
                // Same name set in varying order and case.
                var names = i % 2 == 0 ? new[] { "api.github.com", "*.github.com" } : ["*.GITHUB.com", "api.github.com"];
                return cache.GetOrIssue(LeafCacheKey.For(names, ca), Issue);
            },
            TaskCreationOptions.LongRunning)).ToArray();
        start.Set();
        var leaves = await Task.WhenAll(tasks);

        issued.Should().Be(1);
        leaves.Distinct().Should().ContainSingle();
        cache.Count.Should().Be(1);
    }

    [Fact]
    public void Entries_are_reissued_once_renewal_is_due_and_not_before()
    {
        var time = new ManualTimeProvider(Fixtures.T0);
        var policy = new RenewalPolicy(TimeSpan.FromHours(100), TimeSpan.FromHours(10));
        var ca = Fixtures.Ca(time: time);
        var cache = new LeafCache(policy, time);
        var issued = 0;
        IssuedLeaf Issue(LeafCacheKey key)
        {
            issued++;
            return LeafIssuer.Issue(ca, new LeafRequest(key.Names, Duration: policy.Duration), time, Randomness.Real());
        }

        var key = LeafCacheKey.For(["a.example.test"], ca);
        var first = cache.GetOrIssue(key, Issue);
        time.Set(first.NotAfter - TimeSpan.FromHours(10) - TimeSpan.FromSeconds(1));
        cache.GetOrIssue(key, Issue).Should().BeSameAs(first);
        issued.Should().Be(1);

        time.Set(first.NotAfter - TimeSpan.FromHours(10));
        var second = cache.GetOrIssue(key, Issue);
        second.Should().NotBeSameAs(first);
        second.NotAfter.Should().Be(time.GetUtcNow() + TimeSpan.FromHours(100));
        cache.GetOrIssue(key, Issue).Should().BeSameAs(second);
        issued.Should().Be(2);
    }

    [Fact]
    public void A_new_CA_means_a_new_leaf_for_the_same_names()
    {
        var cache = new LeafCache(RenewalPolicy.Default, TimeProvider.System);
        var caA = Fixtures.Ca(seed: 1);
        var caB = Fixtures.Ca(seed: 2);
        IssuedLeaf Issue(LeafCacheKey k, CertificateAuthority ca) => LeafIssuer.Issue(ca, new LeafRequest(k.Names), TimeProvider.System, Randomness.Real());

        var a = cache.GetOrIssue(LeafCacheKey.For(["x.test"], caA), k => Issue(k, caA));
        var b = cache.GetOrIssue(LeafCacheKey.For(["x.test"], caB), k => Issue(k, caB));
        a.CaFingerprint.Should().Be(caA.Fingerprint);
        b.CaFingerprint.Should().Be(caB.Fingerprint);
        cache.Evict(k => k.CaFingerprint == caA.Fingerprint).Should().Be(1);
        cache.Count.Should().Be(1);
    }

    [Fact]
    public void A_failed_issuance_is_not_cached()
    {
        var cache = new LeafCache(RenewalPolicy.Default, TimeProvider.System);
        var ca = Fixtures.Ca();
        var key = LeafCacheKey.For(["x.test"], ca);
        var act = () => cache.GetOrIssue(key, _ => throw new InvalidOperationException("boom"));
        act.Should().Throw<InvalidOperationException>();
        cache.Count.Should().Be(0);
        cache.GetOrIssue(key, k => LeafIssuer.Issue(ca, new LeafRequest(k.Names), TimeProvider.System, Randomness.Real())).Names.Should().Equal("x.test");
    }

    [Fact]
    public void Remembered_leaves_are_served_without_issuing()
    {
        var cache = new LeafCache(RenewalPolicy.Default, TimeProvider.System);
        var ca = Fixtures.Ca();
        var key = LeafCacheKey.For(["x.test"], ca);
        var existing = LeafIssuer.Issue(ca, new LeafRequest(key.Names), TimeProvider.System, Randomness.Real());
        cache.Remember(key, existing).Should().BeTrue();
        cache.GetOrIssue(key, _ => throw new InvalidOperationException("must not issue")).Should().BeSameAs(existing);
    }
}
