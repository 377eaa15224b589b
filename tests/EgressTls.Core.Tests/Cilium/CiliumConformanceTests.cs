using EgressTls.Core.Tests.Support;

namespace EgressTls.Core.Tests.Cilium;

/// <summary>
/// Every golden output is validated by the shared conformance checker against the CRD schemas of ITS
/// target Cilium version (strict: unknown fields fail, so a 1.16+ field in a 1.14 output fails) and
/// against Envoy's protos. tests/conformance-check.sh installs the checker's npm dependencies on first use (needs node and npm).
/// </summary>
public class CiliumConformanceTests
{
    public static TheoryData<string> Versions() => ["1.14", "1.16", "1.17", "1.18"];

    [Theory]
    [MemberData(nameof(Versions))]
    public void Golden_outputs_pass_the_conformance_checker_for_their_Cilium_version(string version)
    {
        var cases = CiliumCase.Names().Select(CiliumCase.Load)
            .Where(c => c.Options.Cilium.Version == Version.Parse(version))
            .ToList();
        cases.Should().NotBeEmpty($"there must be golden cases targeting Cilium {version}");

        // Refused cases produce no objects; the checker rejects input without any Cilium object.
        var files = cases.Where(c => c.Generate().Objects.Any(o => o.ApiVersion == "cilium.io/v2")).Select(c => c.GoldenPath).ToList();
        files.Should().NotBeEmpty();
        foreach (var file in files)
        {
            File.Exists(file).Should().BeTrue($"{file} is missing; run with UPDATE_GOLDEN=1");
        }

        var (exitCode, output) = Run(["--cilium", version, .. files]);

        exitCode.Should().Be(0, $"the conformance checker must accept every object for Cilium {version}:\n{output}");
        output.Should().NotContain("FAIL");
    }

    [Fact]
    public void A_field_of_a_newer_Cilium_fails_the_older_schema_so_the_per_version_check_is_meaningful()
    {
        var newer = CiliumCase.Load("poc-domain-groups");
        newer.Options.Cilium.SupportsEnableDefaultDeny.Should().BeTrue();

        var (exitCode, output) = Run(["--cilium", "1.14", newer.GoldenPath]);

        exitCode.Should().NotBe(0);
        output.Should().Contain("enableDefaultDeny");
    }

    private static (int ExitCode, string Output) Run(IEnumerable<string> args)
    {
        var (exitCode, stdout, stderr) = ConformanceChecker.RunAsync([.. args]).GetAwaiter().GetResult();
        return (exitCode, stdout + stderr);
    }
}
