namespace EgressTls.Pki.Tests.Support;

/// <summary>Drives certs-scripts/make-pki.sh.</summary>
internal static class PkiScript
{
    public static void Make(string outDir, params string[] extra)
    {
        Tool.Find("openssl");
        var r = Tool.Run("bash", [Path.Combine(Repo.Root, "certs-scripts", "make-pki.sh"), outDir, "--force", .. extra]);
        r.ExitCode.Should().Be(0, r.All);
    }
}
