namespace EgressTls.Chart.Tests;

public sealed class NotesTests
{
    private static string Notes(params string[] arguments)
    {
        var result = Helm.Run(["install", Helm.ReleaseName, Repository.Chart, "--namespace", Helm.ReleaseNamespace, "--dry-run=client", .. arguments]);
        result.ExitCode.Should().Be(0, result.Describe());
        var at = result.StandardOutput.IndexOf("NOTES:", StringComparison.Ordinal);
        at.Should().BeGreaterThan(0, "helm prints the rendered NOTES.txt");
        return result.StandardOutput[at..];
    }

    [Fact]
    public void Notes_tell_the_user_how_to_opt_in_annotate_and_render_offline()
    {
        var notes = Notes();
        notes.Should().Contain("kubectl label namespace my-app egress-tls.io/enabled=true");
        notes.Should().Contain("egress-tls.io/intercept:");
        notes.Should().Contain("egress-tls.io/mtls:");
        notes.Should().Contain("kind: Provider");
        notes.Should().Contain("render -f");
        notes.Should().Contain("kube-system, egress-tls");
    }

    [Fact]
    public void Notes_without_flux_leave_out_the_provider_example_and_name_enabled_groups()
    {
        var notes = Notes("--set", "flux.enabled=false", "--set", "interceptGroups.github.enabled=true");
        notes.Should().NotContain("kind: Provider");
        notes.Should().Contain("Intercept groups enabled for opted-in namespaces: github.");
    }
}
