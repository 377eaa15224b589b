using EgressTls.Core.Annotations;

namespace EgressTls.Core.Tests.Annotations;

public class SecretNamesTests
{
    [Theory]
    [InlineData("client")]
    [InlineData("client.tls-2")]
    [InlineData("a")]
    public void DNS_1123_subdomains_are_valid(string name) => SecretNames.Check(name).Should().BeNull();

    [Theory]
    [InlineData("team-b/client", "own namespace")]
    [InlineData("Client", "is not a Secret name")]
    [InlineData("-client", "is not a Secret name")]
    [InlineData("client.", "is not a Secret name")]
    [InlineData("cli_ent", "is not a Secret name")]
    [InlineData("", "is empty")]
    public void Other_names_are_refused_with_a_reason(string name, string reason) =>
        SecretNames.Check(name).Should().Contain(reason);

    [Fact]
    public void Names_longer_than_253_are_refused() =>
        SecretNames.Check(new string('a', 254)).Should().Contain("253");
}
