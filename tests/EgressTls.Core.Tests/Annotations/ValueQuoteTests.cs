using EgressTls.Core.Annotations;

namespace EgressTls.Core.Tests.Annotations;

public class ValueQuoteTests
{
    [Fact]
    public void Quotes_backslashes_and_control_characters_are_escaped()
    {
        ValueQuote.Quote("a\"b\\c\nd\te\u001b[31m\u202e").Should().Be("\"a\\\"b\\\\c\\nd\\te\\u001b[31m\\u202e\"");
    }

    [Fact]
    public void Long_values_are_truncated_and_their_length_stated()
    {
        var quoted = ValueQuote.Quote(new string('x', 500));

        quoted.Should().Be("\"" + new string('x', ValueQuote.MaxLength) + "\"... (500 characters)");
    }
}
