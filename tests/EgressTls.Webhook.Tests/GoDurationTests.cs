using EgressTls.Webhook.Configuration;

namespace EgressTls.Webhook.Tests;

public sealed class GoDurationTests
{
    [Theory]
    [InlineData("8760h", 8760 * 3600.0)]
    [InlineData("15s", 15.0)]
    [InlineData("30m", 1800.0)]
    [InlineData("1h30m", 5400.0)]
    [InlineData("1.5s", 1.5)]
    [InlineData("250ms", 0.25)]
    [InlineData("0", 0.0)]
    [InlineData("2h45m30.5s", 9930.5)]
    [InlineData("1000us", 0.001)]
    [InlineData("+5s", 5.0)]
    public void Parses_go_durations(string text, double seconds)
    {
        GoDuration.TryParse(text, out var value, out var error).Should().BeTrue(error);

        value.TotalSeconds.Should().BeApproximately(seconds, 1e-9);
    }

    [Theory]
    [InlineData("", "empty duration")]
    [InlineData("10", "unit after 10 is missing")]
    [InlineData("365d", "unknown unit \"d\"")]
    [InlineData("h", "number is missing")]
    [InlineData("1..5s", "malformed")]
    [InlineData("15 s", "unknown unit \" s\"")]
    [InlineData("99999999999999h", "too long")]
    public void Refuses_what_go_refuses_with_a_reason(string text, string reason)
    {
        GoDuration.TryParse(text, out _, out var error).Should().BeFalse();

        error.Should().Contain(reason);
        if (!reason.StartsWith("too long", StringComparison.Ordinal))
        {
            error.Should().Contain("expected a Go duration", "every syntax error states the expected form");
        }
    }

    [Theory]
    [InlineData(8760 * 3600, "8760h0m0s")]
    [InlineData(90, "1m30s")]
    [InlineData(4, "4s")]
    public void Formats_like_go(int seconds, string expected) => GoDuration.Format(TimeSpan.FromSeconds(seconds)).Should().Be(expected);
}
