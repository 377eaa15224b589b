using System.Text.RegularExpressions;
using EgressTls.LoadBench.Targets;

namespace EgressTls.LoadBench.Tests;

/// <summary>The load runs measure serve under the runtime environment the image sets, no more and no less.</summary>
public sealed class DeployedEnvironmentTests
{
    [Fact]
    public void The_bench_gives_its_targets_exactly_the_DOTNET_environment_of_the_image()
    {
        var dockerfile = File.ReadAllText(Path.Combine(RepoRoot(), "Dockerfile"));
        var runtimeStage = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        var image = Regex.Matches(runtimeStage, @"^ENV (DOTNET_\w+)=(\S+)\s*$", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

        TargetLauncher.DeployedEnvironment.Should().BeEquivalentTo(image);
    }

    [Fact]
    public void GC_settings_of_the_caller_do_not_reach_the_targets_and_other_variables_do()
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet");
        start.Environment["DOTNET_GCgen0size"] = "0x4000000";
        start.Environment["COMPlus_gcServer"] = "1";
        start.Environment["DOTNET_gcConcurrent"] = "1";
        start.Environment["DOTNET_PerfMapEnabled"] = "1";

        TargetLauncher.AsDeployed(start);

        start.Environment.Keys.Should().NotContain(["DOTNET_GCgen0size", "COMPlus_gcServer", "DOTNET_gcConcurrent"]);
        start.Environment["DOTNET_PerfMapEnabled"].Should().Be("1");
        foreach (var (name, value) in TargetLauncher.DeployedEnvironment)
        {
            start.Environment[name].Should().Be(value);
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Webhook.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Webhook.sln not found above " + AppContext.BaseDirectory);
    }
}
