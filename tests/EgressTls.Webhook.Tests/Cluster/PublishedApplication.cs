using System.Diagnostics;
using EgressTls.Webhook.Tests.Support;

namespace EgressTls.Webhook.Tests.Cluster;

/// <summary>
/// One <c>dotnet publish -c Release</c> of the webhook per test class, into a directory made read-only as in
/// the image (the published application must start and serve /readyz as a non-root user from a
/// read-only directory).
/// </summary>
public sealed class PublishedApplication : IAsyncLifetime
{
    private readonly TempDirectory root = new();

    public string AppDirectory => Path.Combine(root.Path, "app");

    /// <summary>A writable directory for HOME and TMPDIR, like the chart's /tmp emptyDir.</summary>
    public string WritableDirectory => Path.Combine(root.Path, "tmp");

    public long SizeBytes { get; private set; }

    public TimeSpan PublishTime { get; private set; }

    public async Task InitializeAsync()
    {
        var watch = Stopwatch.StartNew();
        var project = Path.Combine(Tools.RepositoryRoot, "src", "EgressTls.Webhook");
        var (code, stdout, stderr) = await Tools.RunAsync("dotnet", ["publish", project, "-c", "Release", "-o", AppDirectory, "--nologo", "-v", "q"]);
        PublishTime = watch.Elapsed;
        if (code != 0)
        {
            throw new InvalidOperationException($"dotnet publish failed ({code}):\n{stdout}\n{stderr}");
        }

        SizeBytes = new DirectoryInfo(AppDirectory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        Directory.CreateDirectory(WritableDirectory);

        // Readable and executable by everyone, writable by no one: the image's read-only root filesystem.
        await Chmod("a+rX,a-w", "-R", AppDirectory);
        await Chmod("0755", root.Path);
        await Chmod("1777", WritableDirectory);
    }

    public async Task DisposeAsync()
    {
        await Chmod("-R", "u+w", root.Path);
        root.Dispose();
    }

    private static async Task Chmod(params string[] args)
    {
        var (code, _, stderr) = await Tools.RunAsync("chmod", args);
        if (code != 0)
        {
            throw new InvalidOperationException("chmod failed: " + stderr);
        }
    }
}
