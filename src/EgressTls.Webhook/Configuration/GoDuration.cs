using System.Globalization;

namespace EgressTls.Webhook.Configuration;

/// <summary>
/// Go's <c>time.ParseDuration</c> syntax, the form Kubernetes users know from cert-manager and
/// controller flags: a sequence of decimal numbers with units (<c>ns us µs ms s m h</c>), e.g.
/// <c>8760h</c>, <c>1h30m</c>, <c>1.5s</c>; <c>0</c> alone is allowed. Days are deliberately not a unit
/// (Go has none), so <c>365d</c> is an error rather than a guess.
/// </summary>
internal static class GoDuration
{
    private const string Expected = "expected a Go duration such as 8760h, 30m, 15s or 1h30m (units ns, us, ms, s, m, h)";

    /// <summary>Parses <paramref name="text"/>, or returns <c>false</c> with a message saying what is wrong.</summary>
    public static bool TryParse(string? text, out TimeSpan value, out string error)
    {
        value = TimeSpan.Zero;
        error = "";
        if (string.IsNullOrEmpty(text))
        {
            error = $"empty duration; {Expected}";
            return false;
        }

        var s = text;
        var negative = false;
        if (s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s == "0")
        {
            return true;
        }

        if (s.Length == 0)
        {
            error = $"\"{text}\" is not a duration; {Expected}";
            return false;
        }

        decimal totalTicks = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            var number = s[start..i];
            if (number.Length == 0 || number == "." || number.Count(c => c == '.') > 1
                || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                error = $"\"{text}\" is not a duration: a number is missing or malformed at \"{s[start..]}\"; {Expected}";
                return false;
            }

            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }

            var unit = s[unitStart..i];
            decimal ticksPerUnit = unit switch
            {
                "ns" => 0.01m,
                "us" or "µs" or "μs" => 10m,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => -1m,
            };
            if (ticksPerUnit < 0)
            {
                error = unit.Length == 0
                    ? $"\"{text}\" is not a duration: the unit after {number} is missing; {Expected}"
                    : $"\"{text}\" is not a duration: unknown unit \"{unit}\"; {Expected}";
                return false;
            }

            try
            {
                totalTicks += amount * ticksPerUnit;
            }
            catch (OverflowException)
            {
                error = $"\"{text}\" is too long a duration";
                return false;
            }
        }

        if (totalTicks > TimeSpan.MaxValue.Ticks)
        {
            error = $"\"{text}\" is too long a duration";
            return false;
        }

        var ticks = (long)decimal.Round(totalTicks);
        value = TimeSpan.FromTicks(negative ? -ticks : ticks);
        return true;
    }

    /// <summary>Formats <paramref name="value"/> the way Go prints durations (<c>8760h0m0s</c>), for logs.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        var sign = value < TimeSpan.Zero ? "-" : "";
        var abs = value.Duration();
        var hours = (long)abs.TotalHours;
        var seconds = abs.Seconds + (abs.Ticks % TimeSpan.TicksPerSecond / (decimal)TimeSpan.TicksPerSecond);
        var secondsText = seconds.ToString("0.#######", CultureInfo.InvariantCulture);
        return hours > 0
            ? $"{sign}{hours}h{abs.Minutes}m{secondsText}s"
            : abs.Minutes > 0 ? $"{sign}{abs.Minutes}m{secondsText}s" : $"{sign}{secondsText}s";
    }
}
