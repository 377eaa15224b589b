namespace EgressTls.Core.Tests.Cilium;

/// <summary>Where the test project's sources (and so its testdata) live, found from the test binary.</summary>
internal static class TestPaths
{
    public static string ProjectDirectory { get; } = Find();

    /// <summary>The shared folder beside the checkout (schemas, conformance checker): env
    /// <c>EGRESS_TLS_SHARED</c>, default <c>&lt;repo&gt;/../shared</c>.</summary>
    public static string SharedDirectory =>
        Environment.GetEnvironmentVariable("EGRESS_TLS_SHARED") is { Length: > 0 } env
            ? env
            : Path.GetFullPath(Path.Combine(ProjectDirectory, "..", "..", "..", "shared"));

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EgressTls.Core.Tests.csproj")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"EgressTls.Core.Tests.csproj not found above {AppContext.BaseDirectory}");
    }
}
