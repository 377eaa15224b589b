using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Flux;

namespace EgressTls.Core.Tests.Flux;

/// <summary>Which objects are Flux Providers egress-tls handles, read as nodes or as parsed JSON alike.</summary>
public class FluxProviderTests
{
    [Theory]
    [InlineData("""{"apiVersion":"notification.toolkit.fluxcd.io/v1beta3","kind":"Provider"}""", true)]
    [InlineData("""{"kind":"Provider","apiVersion":"notification.toolkit.fluxcd.io/v1beta2"}""", true)]
    [InlineData("""{"apiVersion":"notification.toolkit.fluxcd.io/v1beta1","kind":"Provider"}""", false)]
    [InlineData("""{"apiVersion":"notification.toolkit.fluxcd.io/v1beta3","kind":"Alert"}""", false)]
    [InlineData("""{"apiVersion":"example.com/v1beta3","kind":"Provider"}""", false)]
    [InlineData("""{"apiVersion":"notification.toolkit.fluxcd.io/v1beta3","kind":1}""", false)]
    [InlineData("""{"apiVersion":"notification.toolkit.fluxcd.io/v1beta3"}""", false)]
    [InlineData("""{"apiVersion":"notification.toolkit.fluxcd.io\/v1beta3","kind":"Provider"}""", true)]
    [InlineData("""{"apiVersion":"v1","kind":"Pod"}""", false)]
    public void A_provider_is_a_Provider_of_v1beta3_or_v1beta2_whether_read_as_a_node_or_as_json(string json, bool expected)
    {
        using var document = JsonDocument.Parse(json);

        FluxProvider.IsProvider(JsonNode.Parse(json)!.AsObject()).Should().Be(expected);
        FluxProvider.IsProvider(document.RootElement).Should().Be(expected);
    }
}
