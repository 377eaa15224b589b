using EgressTls.Core.Annotations;

namespace EgressTls.Core.Tests.Robustness;

/// <summary>DNS-1123 subdomains have no empty labels and every label starts and ends alphanumeric (what the API server enforces).</summary>
public class SecretNameLabelTests
{
    [Theory]
    [InlineData("a..b")]
    [InlineData("a.-b")]
    [InlineData("a-.b")]
    [InlineData("client..tls")]
    public void Names_the_api_server_would_refuse_are_refused(string name) =>
        SecretNames.Check(name).Should().Contain("is not a Secret name");

    [Theory]
    [InlineData("a.b")]
    [InlineData("a-b.c-d")]
    [InlineData("0.1")]
    public void Dotted_names_with_alphanumeric_label_edges_are_valid(string name) => SecretNames.Check(name).Should().BeNull();
}
