using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace EgressTls.Chart.Tests;

/// <summary>No Docker engine here: the Dockerfile is checked against the chart and the projects it builds.</summary>
public sealed partial class ImageTests
{
    private static readonly string[] Lines = File.ReadAllLines(Path.Combine(Repository.Root, "Dockerfile"))
        .Where(l => !l.TrimStart().StartsWith('#') && l.Trim().Length > 0).ToArray();

    private static IEnumerable<string> Instructions(string name) =>
        Lines.Where(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Select(l => l[(name.Length + 1)..].Trim());

    private static string[] ExecForm(string name) =>
        JsonNode.Parse(Instructions(name).Single())!.AsArray().Select(n => (string)n!).ToArray();

    [Fact]
    public void Runtime_stage_is_the_chiseled_aspnet_image_without_shell()
    {
        var stages = Instructions("FROM").ToList();
        stages.Should().HaveCount(2);
        stages[0].Should().StartWith("mcr.microsoft.com/dotnet/sdk:10.0");
        stages[1].Should().Be("mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled");
        Lines.SkipWhile(l => !l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet", StringComparison.Ordinal))
            .Should().NotContain(l => l.StartsWith("RUN ", StringComparison.Ordinal), "the runtime image has no shell to run anything with");
    }

    [Fact]
    public void Image_user_is_numeric_non_root_and_the_chart_runs_as_it()
    {
        var user = Instructions("USER").Last();
        int.TryParse(user, out var uid).Should().BeTrue("runAsNonRoot can only verify a numeric USER");
        uid.Should().BeGreaterThan(0);
        ((long)Helm.Template().Deployment["spec"]!["template"]!["spec"]!["securityContext"]!["runAsUser"]!).Should().Be(uid);
    }

    [Fact]
    public void Entrypoint_runs_the_host_assembly_and_cmd_is_the_serve_command_the_chart_passes()
    {
        var csproj = XDocument.Load(Path.Combine(Repository.Root, "src", "EgressTls.Webhook", "EgressTls.Webhook.csproj"));
        var assembly = csproj.Descendants("AssemblyName").Single().Value;
        ExecForm("ENTRYPOINT").Should().Equal("dotnet", $"{assembly}.dll");
        var args = Helm.Template().Container["args"]!.AsArray().Select(a => (string)a!);
        ExecForm("CMD").Should().Equal(args);
    }

    [Fact]
    public void Restore_layer_copies_every_project_the_host_references_and_the_central_package_versions()
    {
        var copied = Instructions("COPY").ToList();
        copied.Should().Contain(c => c.Contains("Directory.Packages.props", StringComparison.Ordinal) && c.Contains("Directory.Build.props", StringComparison.Ordinal));
        foreach (var project in ProjectClosure(Path.Combine(Repository.Root, "src", "EgressTls.Webhook", "EgressTls.Webhook.csproj")))
        {
            var relative = Path.GetRelativePath(Repository.Root, project).Replace('\\', '/');
            copied.Should().Contain(c => c.StartsWith(relative + " ", StringComparison.Ordinal), $"restore needs {relative}");
        }

        var restore = Array.FindIndex(Lines, l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal));
        var sources = Array.FindIndex(Lines, l => l.StartsWith("COPY src/ ", StringComparison.Ordinal));
        restore.Should().BeGreaterThan(0).And.BeLessThan(sources, "sources come after the cached restore layer");
    }

    [Fact]
    public void Docker_context_excludes_build_output_tools_and_git()
    {
        var ignored = File.ReadAllLines(Path.Combine(Repository.Root, ".dockerignore")).Select(l => l.Trim()).ToList();
        ignored.Should().Contain(["**/bin/", "**/obj/", ".tools/", "artifacts/", ".git/"]);
    }

    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }

            foreach (var reference in XDocument.Load(current).Descendants("ProjectReference"))
            {
                var include = ProjectSeparator().Replace(reference.Attribute("Include")!.Value, "/");
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, include)));
            }
        }

        return seen;
    }

    [GeneratedRegex(@"[\\/]")]
    private static partial Regex ProjectSeparator();
}
