using System.Diagnostics;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Core.Tests.Cilium;
using EgressTls.Core.Tests.Support;

namespace EgressTls.Core.Tests.Flux;

/// <summary>
/// Golden cases under testdata/providers (Flux Providers), found automatically, with the conventions of
/// testdata/pods: <c>UPDATE_GOLDEN=1</c> rewrites, an orphaned golden fails, every case renders
/// deterministically, kubectl applies every patch (test, replace, remove included), and every mutated
/// Provider rendered again (as the API server sends it on the next
/// UPDATE) gives an empty patch and the same objects.
/// </summary>
public class ProviderGoldenTests
{
    private const string Folder = "providers";

    public static TheoryData<string> Cases() => [.. GoldenCase.Names(Folder)];

    [Fact]
    public void There_are_at_least_10_cases_and_no_orphaned_golden() => GoldenChecks.HasCasesAndNoOrphanedGolden(Folder, 10);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Output_matches_the_golden_file(string name) => GoldenChecks.MatchesGoldenFile(GoldenCase.Load(name, Folder));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rendering_is_deterministic(string name) => GoldenChecks.RendersDeterministically(Folder, name);

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Kubectl_applies_the_patch_to_the_same_Provider(string name) => GoldenChecks.KubectlAppliesThePatchAsync(GoldenCase.Load(name, Folder));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Updating_the_mutated_Provider_unchanged_gives_an_empty_patch_and_the_same_objects(string name)
    {
        var golden = GoldenCase.Load(name, Folder);
        if (golden.Render() is not Mutated first)
        {
            return;
        }

        var mutated = JsonPatch.Apply(golden.Input.Object, first.Patch);
        var again = golden.Render(golden.Input with { Object = mutated, OldObject = mutated, Operation = AdmissionOperation.Update });

        if (first.Objects.IsEmpty && again is Skipped)
        {
            // A restored Provider (egress-tls.io/mtls removed) is no longer egress-tls's business.
            return;
        }

        var second = again.Should().BeOfType<Mutated>().Subject;
        second.Patch.Should().BeEmpty();
        second.Objects.Select(o => o.Manifest.ToJsonString()).Should().Equal(first.Objects.Select(o => o.Manifest.ToJsonString()));
    }

    [Theory]
    [InlineData("1.14")]
    [InlineData("1.17")]
    [InlineData("1.18")]
    public async Task Mutated_Providers_and_generated_objects_pass_the_conformance_checker(string version)
    {
        var manifests = new JsonArray();
        foreach (var name in GoldenCase.Names(Folder))
        {
            var golden = GoldenCase.Load(name, Folder);
            if (golden.Options.Cilium.Version != Version.Parse(version) || golden.Render() is not Mutated m)
            {
                continue;
            }

            manifests.Add(JsonPatch.Apply(golden.Input.Object, m.Patch));
            foreach (var o in m.Objects.Where(o => o.ApiVersion == "cilium.io/v2"))
            {
                manifests.Add(o.Manifest.DeepClone());
            }
        }

        manifests.Count(m => (string?)m!["kind"] == "Provider").Should().BeGreaterThanOrEqualTo(version == "1.17" ? 8 : 1, $"the golden cases render Providers for Cilium {version}");
        manifests.Should().Contain(m => (string?)m!["kind"] == "CiliumNetworkPolicy");

        var file = Path.Combine(Path.GetTempPath(), $"egress-tls-providers-{version}-{Environment.ProcessId}.json");
        File.WriteAllText(file, manifests.ToJsonString());
        try
        {
            var (exitCode, output, stderr) = await ConformanceChecker.RunAsync("--cilium", version, file);

            exitCode.Should().Be(0, $"{output}\n{stderr}");
            output.Should().Contain("Provider").And.NotContain("FAIL");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
