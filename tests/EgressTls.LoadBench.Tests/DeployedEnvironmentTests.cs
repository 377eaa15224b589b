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

        image.Should().NotBeEmpty("the image sets its GC budget");
        TargetLauncher.DeployedEnvironment.Should().BeEquivalentTo(image);
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
