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

    // .NET compiles each of these, RE2 refuses them (doc/syntax.txt: NOT SUPPORTED, repeat counts above
    // 1000): Envoy would reject the policy that carries them.
    [Theory]
    [InlineData(@"/api\Z")]
    [InlineData(@"/a\eb")]
    [InlineData(@"/a\cKb")]
    [InlineData(@"/\u0061pi")]
    [InlineData(@"/a[\b]")]
    [InlineData(@"/\p{IsGreek}+")]
    [InlineData(@"/\P{IsBasicLatin}")]
    [InlineData(@"(?#repositories)/repos/.*")]
    [InlineData(@"(?'org'[a-z]+)/.*")]
    [InlineData(@"(?<org>[a-z]+)/.*")]
    [InlineData(@"(?x) /repos/ .*")]
    [InlineData(@"(?n)/(repos)/.*")]
    [InlineData(@"(?ix:/repos)")]
    [InlineData(@"/a{1001}")]
    [InlineData(@"/a{2,1001}")]
    [InlineData(@"/a{1001,}")]
    [InlineData(@"/a{0000000000000000002000}")]
    public void Syntax_dotnet_accepts_but_RE2_does_not_is_refused(string pattern)
    {
        _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.NonBacktracking);

        RegexCheck.IsRe2Compatible(pattern).Should().BeFalse();
    }

    [Theory]
    [InlineData(@"(?i)/repos/.*")]
    [InlineData(@"(?-s:/a.b)")]
    [InlineData(@"(?ms)^/a$")]
    [InlineData(@"(?:/a|/b)")]
    [InlineData(@"/a{1000}")]
    [InlineData(@"/a{2,1000}")]
    [InlineData(@"/a{,5000}")]
    [InlineData(@"/\{1001}")]
    [InlineData(@"/[{]1001}")]
    [InlineData(@"/[\]Z]")]
    [InlineData(@"/\p{L}\p{Lu}\d\w\s\b\A\z")]
    [InlineData(@"/\x41\0\012\t\n\.\-\/")]
    [InlineData(@"/[]Z]+")]
    public void RE2_syntax_is_accepted(string pattern)
    {
        RegexCheck.IsRe2Compatible(pattern).Should().BeTrue();
    }
}
