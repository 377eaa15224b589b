using System.Collections.Immutable;
using EgressTls.Core.Rendering;

namespace EgressTls.Kubernetes;

/// <summary>The Cilium target to render for, and how it was decided (one line each, for the log).</summary>
public sealed record CiliumDetection(CiliumTarget Target, ImmutableArray<string> Notes);
