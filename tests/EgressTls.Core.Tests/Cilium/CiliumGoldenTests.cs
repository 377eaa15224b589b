namespace EgressTls.Core.Tests.Cilium;

/// <summary>
/// Golden cases under testdata/cilium, found automatically. <c>UPDATE_GOLDEN=1</c> rewrites the expected
/// files; a golden file without its case fails the run.
/// </summary>
public class CiliumGoldenTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var name in CiliumCase.Names())
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_objects_match_the_golden_file_and_regenerate_identically(string name)
    {
        var testCase = CiliumCase.Load(name);
        var actual = CiliumCase.Write(testCase.Generate());

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(testCase.GoldenPath, actual);
        }

        File.Exists(testCase.GoldenPath).Should().BeTrue($"{testCase.GoldenPath} is missing; run with UPDATE_GOLDEN=1 to create it");
        actual.Should().Be(File.ReadAllText(testCase.GoldenPath), "the generator output must match the golden file (UPDATE_GOLDEN=1 rewrites it)");
        CiliumCase.Write(CiliumCase.Load(name).Generate()).Should().Be(actual, "generation is deterministic");
    }

    [Fact]
    public void Every_golden_file_belongs_to_a_case()
    {
        var cases = CiliumCase.Names().ToHashSet(StringComparer.Ordinal);
        var orphans = Directory.EnumerateFiles(CiliumCase.Directory, "*.golden.yaml")
            .Select(f => Path.GetFileName(f)[..^".golden.yaml".Length])
            .Where(n => !cases.Contains(n))
            .ToList();

        orphans.Should().BeEmpty("each golden file needs its <case>.yaml input; delete orphaned golden files");
    }

    [Fact]
    public void The_cases_cover_every_supported_Cilium_version_and_both_secrets_modes()
    {
        var cases = CiliumCase.Names().Select(CiliumCase.Load).ToList();

        cases.Select(c => c.Options.Cilium.Version.ToString()).Distinct().Should().Contain(["1.14", "1.16", "1.17", "1.18"]);
        cases.Select(c => c.Options.Cilium.SecretsMode).Distinct().Should().HaveCount(2);
        cases.Should().Contain(c => c.Options.Cilium.ClusterwideEnvoyConfig).And.Contain(c => !c.Options.Cilium.ClusterwideEnvoyConfig && !c.Profile.Mtls.IsEmpty);
        cases.Should().Contain(c => !c.Generate().Errors.IsEmpty, "refused conflicts are golden cases too");
    }
}
