using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Rendering;
using EgressTls.Core.Serialization;
using EgressTls.Webhook.Rendering;

namespace EgressTls.Webhook.Tests.Robustness;

/// <summary>
/// Property-based tests of the annotation parsers and the admission core over <see cref="FuzzCase"/> inputs
/// (malformed and hostile input). <c>EGRESS_TLS_FUZZ_CASES</c> sets the number of cases (default 2,000) and
/// <c>EGRESS_TLS_FUZZ_SEED</c> the first seed; <c>tests/fuzz.sh</c> runs the long version. A failure names
/// the seed, which reproduces it.
/// </summary>
public sealed class FuzzTests
{
    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("EGRESS_TLS_FUZZ_CASES"), CultureInfo.InvariantCulture, out var n) ? n : 2000;

    private static int FirstSeed => int.TryParse(Environment.GetEnvironmentVariable("EGRESS_TLS_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 1;

    [Fact]
    public void Render_is_total_deterministic_rejects_by_field_and_its_patches_apply_and_are_idempotent()
    {
        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var seed = FirstSeed; seed < FirstSeed + Cases && failures.Count < 20; seed++)
        {
            var fuzz = FuzzCase.Create(seed);
            var problem = Check(fuzz, out var outcome);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            if (problem is not null)
            {
                failures.Add($"seed {seed}: {problem}; annotations {fuzz.Pod["metadata"]!["annotations"]!.ToJsonString()}");
            }
        }

        failures.Should().BeEmpty();
        outcomes.Keys.Should().Contain(["Rejected", "Mutated"], "the generator must reach both outcomes to prove anything");
    }

    [Fact]
    public void The_same_seed_yields_the_same_case()
    {
        var a = FuzzCase.Create(42);
        var b = FuzzCase.Create(42);

        a.Pod.ToJsonString().Should().Be(b.Pod.ToJsonString());
        a.Options.Cilium.Should().Be(b.Options.Cilium);
        a.Namespace.Annotations.Should().Equal(b.Namespace.Annotations);
    }

    private static string? Check(FuzzCase fuzz, out string outcome)
    {
        outcome = "Threw";
        var input = new RenderInput(fuzz.Pod, AdmissionOperation.Create, fuzz.Namespace, ImmutableDictionary<string, SecretSummary>.Empty, SecretsComplete: false);
        RenderResult first;
        RenderResult second;
        try
        {
            first = Renderer.Render(input, fuzz.Options);
            second = Renderer.Render(input with { Object = (JsonObject)fuzz.Pod.DeepClone() }, fuzz.Options);
        }
        catch (Exception ex)
        {
            return $"Render threw {ex.GetType().Name}: {ex.Message}";
        }

        outcome = first.GetType().Name;
        if (Fingerprint(first) != Fingerprint(second))
        {
            return "two renders of the same input differ";
        }

        switch (first)
        {
            case Rejected rejected:
                var bad = rejected.Errors.FirstOrDefault(e =>
                    !(e.Field.StartsWith("metadata.annotations[egress-tls.io/", StringComparison.Ordinal)
                      || e.Field.StartsWith("metadata.labels[egress-tls.io/", StringComparison.Ordinal)
                      || e.Field.StartsWith("spec.", StringComparison.Ordinal)
                      || e.Field.StartsWith($"namespace({fuzz.Namespace.Name}).metadata.annotations[egress-tls.io/", StringComparison.Ordinal))
                    || !e.Message.Contains("expected", StringComparison.Ordinal));
                return rejected.Errors.IsEmpty ? "Rejected without errors" : bad is null ? null : $"error without an egress-tls field or expected form: {bad}";
            case Mutated mutated:
                JsonObject patched;
                try
                {
                    patched = JsonPatch.Apply(fuzz.Pod, mutated.Patch)!.AsObject();
                }
                catch (JsonPatchException ex)
                {
                    return $"the patch does not apply: {ex.Message}";
                }

                RenderResult again;
                try
                {
                    again = Renderer.Render(input with { Object = patched }, fuzz.Options);
                }
                catch (Exception ex)
                {
                    return $"re-render threw {ex.GetType().Name}: {ex.Message}";
                }

                if (again is not Mutated { Patch.IsEmpty: true } repeat)
                {
                    return $"re-rendering the mutated pod is not a no-op: {Fingerprint(again)[..Math.Min(300, Fingerprint(again).Length)]}";
                }

                return Objects(repeat) == Objects(mutated) ? null : "re-rendering the mutated pod generates different objects";
            default:
                return null;
        }
    }

    private static string Objects(Mutated m) => Yaml.WriteStream(m.Objects.Select(o => (JsonNode?)o.Manifest));

    private static string Fingerprint(RenderResult result) => result switch
    {
        Mutated m => JsonSerializer.Serialize(m.Patch.Select(p => new[] { p.Op, p.Path, p.Value?.ToJsonString() })) + Objects(m)
            + string.Join('\n', m.Warnings) + string.Join('\n', m.Objects.Select(o => o.Content?.ToString())),
        Rejected r => string.Join('\n', r.Errors),
        Skipped s => s.Reason + s.Detail,
        _ => result.GetType().Name,
    };
}
