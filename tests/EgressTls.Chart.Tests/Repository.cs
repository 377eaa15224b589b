namespace EgressTls.Chart.Tests;

/// <summary>Paths of the checkout the tests run in.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Chart => Path.Combine(Root, "charts", "egress-tls");

    /// <summary>The directory holding the CRD schemas and the conformance checker, from EGRESS_TLS_SHARED or beside the checkout.</summary>
    public static string Shared =>
        Environment.GetEnvironmentVariable("EGRESS_TLS_SHARED") is { Length: > 0 } shared
            ? shared
            : Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Webhook.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Webhook.sln above {AppContext.BaseDirectory}");
    }
}
