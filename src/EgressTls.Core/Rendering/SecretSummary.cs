using System.Collections.Immutable;

namespace EgressTls.Core.Rendering;

/// <summary>
/// What the core may know about a Secret: its type and key names. Never its data: the core decides
/// what to copy; the shell copies it.
/// </summary>
public sealed record SecretSummary(string Name, string Type, ImmutableSortedSet<string> Keys);
