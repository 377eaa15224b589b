using System.Diagnostics;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Core.Serialization;

namespace EgressTls.Core.Tests.Support;

/// <summary>The checks every golden folder runs (testdata/pods, testdata/providers): found cases, no
/// orphaned golden, output equal to the golden file (<c>UPDATE_GOLDEN=1</c> rewrites it), determinism, and
/// kubectl applying the patch.</summary>
internal static class GoldenChecks
{
    public static void HasCasesAndNoOrphanedGolden(string folder, int minimum)
    {
        var inputs = GoldenCase.Names(folder).ToHashSet(StringComparer.Ordinal);
        var goldens = Directory.GetFiles(GoldenCase.DirectoryOf(folder), "*.golden.yaml")
            .Select(f => Path.GetFileName(f)[..^".golden.yaml".Length]);

        inputs.Should().HaveCountGreaterThanOrEqualTo(minimum);
        goldens.Where(g => !inputs.Contains(g)).Should().BeEmpty("every golden file needs its input case");
    }

    public static void MatchesGoldenFile(GoldenCase golden)
    {
        var result = golden.Render();
        var actual = GoldenWriter.Write(golden, result, Mutate(golden, result));

        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(golden.GoldenPath, actual);
        }

        File.Exists(golden.GoldenPath).Should().BeTrue($"{golden.GoldenPath} is missing; run with UPDATE_GOLDEN=1");
        actual.Should().Be(File.ReadAllText(golden.GoldenPath));
    }

    public static void RendersDeterministically(string folder, string name)
    {
        var first = GoldenCase.Load(name, folder);
        var second = GoldenCase.Load(name, folder);
        var a = first.Render();
        var b = second.Render();

        GoldenWriter.Write(first, a, Mutate(first, a)).Should().Be(GoldenWriter.Write(second, b, Mutate(second, b)));
    }

    /// <summary>kubectl (Kubernetes' own JSON patch code, offline) applies the case's patch to the same result as
    /// <see cref="JsonPatch"/>; nothing to check when the patch is empty.</summary>
    public static async Task KubectlAppliesThePatchAsync(GoldenCase golden)
    {
        if (golden.Render() is not Mutated m || m.Patch.IsEmpty)
        {
            return;
        }

        var kubectl = Tools.Require("kubectl");
        var dir = Directory.CreateTempSubdirectory("egress-tls-golden-");
        try
        {
            var objectFile = Path.Combine(dir.FullName, "object.json");
            File.WriteAllText(objectFile, golden.Input.Object.ToJsonString());
            var start = new ProcessStartInfo(kubectl)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList = { "patch", "--local", "-f", objectFile, "--type=json", "-p", GoldenWriter.PatchJson(m).ToJsonString(), "-o", "json" },
            };
            // --local never contacts a cluster; an empty kubeconfig keeps a developer's context out of it.
            start.Environment["KUBECONFIG"] = Path.Combine(dir.FullName, "none");
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();

            process.ExitCode.Should().Be(0, stderr);
            var patched = JsonNode.Parse(await stdout)!;
            var expected = JsonPatch.Apply(golden.Input.Object, m.Patch);
            JsonNode.DeepEquals(patched, expected).Should().BeTrue($"kubectl gave\n{Yaml.Write(patched)}\nexpected\n{Yaml.Write(expected)}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The rendered object with the patch applied, or <c>null</c> when nothing was mutated.</summary>
    public static JsonObject? Mutate(GoldenCase golden, RenderResult result) =>
        result is Mutated m ? JsonPatch.Apply(golden.Input.Object, m.Patch) : null;
}
