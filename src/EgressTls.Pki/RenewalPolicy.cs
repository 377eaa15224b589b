namespace EgressTls.Pki;

/// <summary>
/// When a certificate is renewed: when less than <see cref="RenewBefore"/> of its validity remains.
/// Defaults follow the cert-manager PoC (duration 8760h, renewBefore 720h).
/// </summary>
public sealed record RenewalPolicy
{
    /// <summary>Default leaf lifetime, 8760h (one year).</summary>
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromHours(8760);

    /// <summary>Default renewal threshold, 720h (30 days).</summary>
    public static readonly TimeSpan DefaultRenewBefore = TimeSpan.FromHours(720);

    /// <summary>Creates a policy; <paramref name="renewBefore"/> must be positive and shorter than <paramref name="duration"/> (otherwise every fresh certificate would already be due).</summary>
    public RenewalPolicy(TimeSpan duration, TimeSpan renewBefore)
    {
        if (duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "duration must be positive");
        }

        if (renewBefore <= TimeSpan.Zero || renewBefore >= duration)
        {
            throw new ArgumentOutOfRangeException(nameof(renewBefore), renewBefore, $"renewBefore must be positive and shorter than duration {duration}");
        }

        Duration = duration;
        RenewBefore = renewBefore;
    }

    /// <summary>The policy with duration 8760h and renewBefore 720h.</summary>
    public static RenewalPolicy Default { get; } = new(DefaultDuration, DefaultRenewBefore);

    /// <summary>Validity given to newly issued certificates.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Remaining validity under which a certificate is renewed.</summary>
    public TimeSpan RenewBefore { get; }

    /// <summary>The instant from which a certificate ending at <paramref name="notAfter"/> is due.</summary>
    public DateTimeOffset RenewalTime(DateTimeOffset notAfter) => notAfter - RenewBefore;

    /// <summary>True when <paramref name="now"/> is at or after <c>notAfter - RenewBefore</c> (so also for expired certificates).</summary>
    public bool NeedsRenewal(DateTimeOffset notAfter, DateTimeOffset now) => now >= RenewalTime(notAfter);
}
