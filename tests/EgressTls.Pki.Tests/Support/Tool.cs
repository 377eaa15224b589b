using System.Diagnostics;
using System.Text;

namespace EgressTls.Pki.Tests.Support;

/// <summary>Runs external tools (openssl, curl, keytool, java, haproxy). A missing tool fails the test with a clear message.</summary>
internal static class Tool
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string All => Stdout + Stderr;
    }

    public static string Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var dirs = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Append(Path.Combine(Repo.Root, ".tools", "bin"));
        foreach (var dir in dirs)
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"required tool '{name}' was not found on PATH; run tests/run.sh (it calls tests/install-tools.sh to install openssl, curl, haproxy and a JRE)");
    }

    public static Result Run(string name, params string[] args) => RunIn(null, name, args);

    public static Result RunIn(string? workingDirectory, string name, params string[] args)
    {
        var psi = new ProcessStartInfo(Find(name))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{name} {string.Join(' ', args)} did not finish within 120s");
        }

        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a command and asserts exit code 0, returning stdout.</summary>
    public static string Ok(string name, params string[] args)
    {
        var r = Run(name, args);
        r.ExitCode.Should().Be(0, $"`{name} {string.Join(' ', args)}` should succeed; output:\n{r.All}");
        return r.Stdout;
    }
}

internal static class Repo
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Webhook.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root (Webhook.sln) not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "egress-tls-pki-" + Guid.NewGuid().ToString("N")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string content)
    {
        var f = File(name);
        System.IO.File.WriteAllText(f, content, new UTF8Encoding(false));
        return f;
    }

    public string Write(string name, byte[] content)
    {
        var f = File(name);
        System.IO.File.WriteAllBytes(f, content);
        return f;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
