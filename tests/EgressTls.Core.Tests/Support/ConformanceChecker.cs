using System.Diagnostics;
using EgressTls.Core.Tests.Cilium;

namespace EgressTls.Core.Tests.Support;

/// <summary>
/// Runs the shared conformance checker through <c>tests/conformance-check.sh</c>, which installs the
/// checker's npm dependencies once (under a lock, so parallel test classes never see a half-finished
/// install) and never writes into the shared folder.
/// </summary>
internal static class ConformanceChecker
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var script = Path.Combine(Tools.RepoRoot, "tests", "conformance-check.sh");
        var checkJs = Path.Combine(TestPaths.SharedDirectory, "tools", "conformance", "check.js");
        File.Exists(checkJs).Should().BeTrue($"the conformance checker is expected at {checkJs}; set EGRESS_TLS_SHARED to the shared folder (default <repo>/../shared)");

        var info = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["EGRESS_TLS_SHARED"] = TestPaths.SharedDirectory;
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run {script} ({e.Message}); it needs bash, node and npm: run tests/run.sh", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
