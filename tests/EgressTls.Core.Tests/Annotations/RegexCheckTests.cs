using EgressTls.Core.Annotations;

namespace EgressTls.Core.Tests.Annotations;

public class RegexCheckTests
{
    [Theory]
    [InlineData("/v1/.*", true)]
    [InlineData("api\\.github\\.com", true)]
    [InlineData("(", false)]
    [InlineData("(a)\\1", false)]
    [InlineData("(?<=a)b", false)]
    public void A_remembered_answer_is_the_answer_of_the_first_check(string pattern, bool expected)
    {
        RegexCheck.IsRe2Compatible(pattern).Should().Be(expected);
        RegexCheck.IsRe2Compatible(pattern).Should().Be(expected, "the second answer comes from the memory");
    }
}
