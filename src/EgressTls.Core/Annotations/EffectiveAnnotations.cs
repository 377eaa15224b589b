using System.Collections.Immutable;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Annotations;

/// <summary>
/// The egress-tls annotations that apply to one pod: installation intercept groups, overridden per key
/// by the namespace's annotations, overridden per key by the pod's (the Linkerd <c>config.*</c> model;
/// peers.md D10). Unknown keys under the prefix become warnings.
/// </summary>
/// <param name="Values">Known user keys (full name) to their effective value.</param>
/// <param name="Warnings">Unknown keys and keys written where they have no effect.</param>
/// <param name="HasUnknownKeys">True when some key under the prefix was not recognised.</param>
public sealed record EffectiveAnnotations(
    ImmutableSortedDictionary<string, AnnotationValue> Values,
    ImmutableArray<string> Warnings,
    bool HasUnknownKeys)
{
    /// <summary>Resolves the effective annotations of a pod with <paramref name="podAnnotations"/> in <paramref name="ns"/>.</summary>
    public static EffectiveAnnotations Resolve(
        IReadOnlyDictionary<string, string> podAnnotations, NamespaceInfo ns, RenderOptions options)
    {
        var values = ImmutableSortedDictionary.CreateBuilder<string, AnnotationValue>(StringComparer.Ordinal);
        var warnings = ImmutableArray.CreateBuilder<string>();
        var unknown = false;

        var groups = options.InterceptGroups.Where(g => g.Selects(ns)).OrderBy(g => g.Name, StringComparer.Ordinal).ToArray();
        if (groups.Length > 0)
        {
            values[AnnotationRegistry.Intercept.FullName] = new AnnotationValue(
                string.Join(", ", groups.SelectMany(g => g.Hosts)),
                AnnotationOrigin.InterceptGroup,
                string.Join(",", groups.Select(g => g.Name)));
        }

        unknown |= Collect(ns.Annotations, AnnotationOrigin.Namespace, ns.Name, AnnotationScope.Namespace, $"namespace {ns.Name}", values, warnings);
        unknown |= Collect(podAnnotations, AnnotationOrigin.Pod, string.Empty, AnnotationScope.Pod, "the pod", values, warnings);
        return new EffectiveAnnotations(values.ToImmutable(), warnings.ToImmutable(), unknown);
    }

    /// <summary>
    /// The egress-tls annotations of a Flux Provider: only its own (namespace annotations and intercept
    /// groups are defaults for pods, not for Providers). Keys not allowed on Providers become warnings.
    /// </summary>
    public static EffectiveAnnotations ForProvider(IReadOnlyDictionary<string, string> providerAnnotations)
    {
        ArgumentNullException.ThrowIfNull(providerAnnotations);
        var values = ImmutableSortedDictionary.CreateBuilder<string, AnnotationValue>(StringComparer.Ordinal);
        var warnings = ImmutableArray.CreateBuilder<string>();
        var unknown = Collect(providerAnnotations, AnnotationOrigin.Pod, string.Empty, AnnotationScope.Provider, "the Provider", values, warnings);
        return new EffectiveAnnotations(values.ToImmutable(), warnings.ToImmutable(), unknown);
    }

    private static bool Collect(
        IEnumerable<KeyValuePair<string, string>> annotations,
        AnnotationOrigin origin,
        string originName,
        AnnotationScope scope,
        string where,
        ImmutableSortedDictionary<string, AnnotationValue>.Builder values,
        ImmutableArray<string>.Builder warnings)
    {
        var unknown = false;
        foreach (var (key, value) in annotations.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (!key.StartsWith(Naming.Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var known = AnnotationRegistry.Find(key);
            if (known is null)
            {
                unknown = true;
                warnings.Add($"annotation {key} on {where} is not an egress-tls annotation and is ignored (known: {string.Join(", ", AnnotationRegistry.All.Where(k => k.AllowedOn != AnnotationScope.None).Select(k => k.FullName))})");
            }
            else if (known.AllowedOn == AnnotationScope.None)
            {
                // Written by egress-tls itself (status on a mutated pod): not user input.
                if (origin != AnnotationOrigin.Pod)
                {
                    warnings.Add($"annotation {key} on {where} is written by egress-tls and has no effect there");
                }
            }
            else if (!known.AllowedOn.HasFlag(scope))
            {
                warnings.Add($"annotation {key} has no effect on {where}");
            }
            else
            {
                values[key] = new AnnotationValue(value, origin, originName);
            }
        }

        return unknown;
    }
}
