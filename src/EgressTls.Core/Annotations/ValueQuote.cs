using System.Globalization;
using System.Text;

namespace EgressTls.Core.Annotations;

/// <summary>Quotes user values for error messages: safe to log and to show in <c>kubectl</c> output.</summary>
public static class ValueQuote
{
    /// <summary>Longest value shown; longer ones are cut and marked with <c>...</c>.</summary>
    public const int MaxLength = 80;

    /// <summary>
    /// <paramref name="value"/> in double quotes with <c>"</c> and <c>\</c> escaped and every control or
    /// format character written as an escape (<c>\n</c>, <c>\t</c>, <c>\u001b</c>), so a value cannot
    /// forge lines or terminal sequences in logs; values longer than <see cref="MaxLength"/> are truncated.
    /// </summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var truncated = value.Length > MaxLength;
        var shown = truncated ? value[..MaxLength] : value;
        var builder = new StringBuilder(shown.Length + 8).Append('"');
        foreach (var c in shown)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    var category = char.GetUnicodeCategory(c);
                    if (char.IsControl(c) || category is UnicodeCategory.Format or UnicodeCategory.Surrogate
                        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
        if (truncated)
        {
            builder.Append("... (").Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(" characters)");
        }

        return builder.ToString();
    }
}
