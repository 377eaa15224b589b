using System.Diagnostics;

namespace EgressTls.Chart.Tests;

/// <summary>Result of running an external tool.</summary>
internal sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Describe() => $"exit {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
}

/// <summary>Finds and runs external tools the way the test suite promises: PATH first, then
/// <c>&lt;repo&gt;/.tools/bin</c>; a missing tool fails the test with the command that installs it.</summary>
internal static class Tool
{
    public static string Locate(string name)
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.Combine(Repository.Root, ".tools", "bin"))
            .Select(dir => Path.Combine(dir, name));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                $"{name} was not found in PATH nor in {Path.Combine(Repository.Root, ".tools", "bin")}: " +
                "run tests/run.sh (it installs the tools with tests/install-tools.sh).");
    }

    public static ToolResult Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Repository.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in 2 minutes");
        }

        return new ToolResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
