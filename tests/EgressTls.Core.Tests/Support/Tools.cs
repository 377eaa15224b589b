namespace EgressTls.Core.Tests.Support;

/// <summary>Locates external tools: PATH first, then <c>&lt;repo&gt;/.tools/bin</c> (tests/install-tools.sh).</summary>
internal static class Tools
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Require(string name)
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.Combine(RepoRoot, ".tools", "bin"))
            .Select(dir => Path.Combine(dir, name));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"{name} was not found in PATH or {Path.Combine(RepoRoot, ".tools", "bin")}; run tests/run.sh (it installs the tools the tests need)");
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Webhook.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root (Webhook.sln) not found above " + AppContext.BaseDirectory);
    }
}
