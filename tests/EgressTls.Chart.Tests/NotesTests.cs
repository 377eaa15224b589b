using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Core.Serialization;

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

    // The examples the notes give must be accepted by egress-tls under the chart's own defaults: a user who
    // copies them gets a mutated pod and Provider, not a denial.
    [Fact]
    public void The_pod_and_provider_examples_in_the_notes_are_accepted_under_the_chart_defaults()
    {
        var notes = Notes();
        var options = new RenderOptions
        {
            Cilium = new CiliumTarget { Version = Version.Parse((string)Helm.Template().Config["cilium"]!["version"]!) },
        };

        var annotations = Yaml.Parse(Block(notes, "     metadata:", "   Pods are mutated"))!["metadata"]!["annotations"]!.DeepClone();
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = "p",
                ["namespace"] = "my-app",
                ["labels"] = new JsonObject { ["egress-tls.io/enabled"] = "true" },
                ["annotations"] = annotations,
            },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "app:1" }) },
        };
        annotations.AsObject().Select(a => a.Key).Should().Contain(["egress-tls.io/intercept", "egress-tls.io/intercept-http-rules", "egress-tls.io/mtls"]);
        Describe(Render(pod, options)).Should().StartWith("Mutated");

        var provider = Yaml.Parse(Block(notes, "     apiVersion: notification.toolkit.fluxcd.io", "See what the webhook"))!.AsObject();
        ((string?)provider["kind"]).Should().Be("Provider");
        Describe(Render(provider, options)).Should().StartWith("Mutated");
    }

    // The lines of `notes` from the one starting with `first` up to (not including) the one starting with `end`.
    private static string Block(string notes, string first, string end)
    {
        var lines = notes.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith(first, StringComparison.Ordinal));
        start.Should().BeGreaterThanOrEqualTo(0, $"the notes have a line starting with \"{first}\"");
        var stop = Array.FindIndex(lines, start + 1, l => l.StartsWith(end, StringComparison.Ordinal));
        stop.Should().BeGreaterThan(start, $"the notes have a line starting with \"{end}\" after it");
        return string.Join('\n', lines[start..stop]);
    }

    private static RenderResult Render(JsonObject subject, RenderOptions options)
    {
        var ns = (string)subject["metadata"]!["namespace"]!;
        return Renderer.Render(
            new RenderInput(subject, AdmissionOperation.Create, NamespaceInfo.Bare(ns), ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false),
            options);
    }

    private static string Describe(RenderResult result) => result switch
    {
        Rejected rejected => "Rejected: " + string.Join("; ", rejected.Errors.Select(e => e.ToString())),
        Skipped skipped => $"Skipped: {skipped.Reason} {skipped.Detail}",
        _ => result.GetType().Name,
    };
}
