using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Patching;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Injection;

/// <summary>
/// Mounts the namespace trust bundle into every container and init container of a pod and sets the
/// environment variables each TLS runtime reads. Only a volume, read-only mounts and env: no init
/// container, no root, no hostPath, no subPath, so it works on distroless, Alpine, Debian and UBI
/// images, as non-root with a read-only root filesystem (peers.md D5). Everything the user wrote is
/// kept: an existing mount at a path we use or a variable they set wins, with a warning.
/// </summary>
public static class TrustInjector
{
    private const string JavaToolOptions = "JAVA_TOOL_OPTIONS";

    private static readonly string[] Containers = ["initContainers", "containers"];

    /// <summary>
    /// Records the injection on <paramref name="builder"/> (whose document is the pod) and returns the
    /// outcome. Re-running on an injected pod records nothing: every volume, mount and variable is
    /// checked, not just the status annotation, so containers added by later webhooks still get them
    /// (reinvocationPolicy IfNeeded; istio #38354).
    /// </summary>
    public static TrustInjection Inject(PatchBuilder builder, RenderOptions options, bool systemPaths)
    {
        var warnings = ImmutableArray.CreateBuilder<string>();
        var dir = options.TrustMountPath.TrimEnd('/');

        if (!EnsureVolume(builder, TrustPaths.VolumeName, BundleVolume(options), warnings))
        {
            return new TrustInjection(false, warnings.ToImmutable());
        }

        var systemVolume = systemPaths && EnsureVolume(builder, TrustPaths.SystemVolumeName, SystemVolume(options), warnings);

        foreach (var list in Containers)
        {
            var count = builder.Count(["spec", list]);
            for (var i = 0; i < count; i++)
            {
                string[] container = ["spec", list, i.ToString(System.Globalization.CultureInfo.InvariantCulture)];
                var name = (string?)builder.Get([.. container, "name"]) ?? $"{list}[{i}]";
                var label = list == "initContainers" ? $"init container {ValueQuoteName(name)}" : $"container {ValueQuoteName(name)}";
                string[] mountsPath = [.. container, "volumeMounts"];

                if (!EnsureMount(builder, mountsPath, TrustPaths.VolumeName, dir, label, warnings))
                {
                    warnings.Add($"{label}: no trust environment variables added, because {dir} is not the egress-tls trust bundle there");
                    continue;
                }

                if (systemVolume)
                {
                    foreach (var systemDir in TrustPaths.SystemDirectories)
                    {
                        EnsureMount(builder, mountsPath, TrustPaths.SystemVolumeName, systemDir, label, warnings);
                    }
                }

                AddEnvironment(builder, container, dir, label, warnings);
            }
        }

        return new TrustInjection(true, warnings.ToImmutable());
    }

    /// <summary>The value egress-tls appends to <c>JAVA_TOOL_OPTIONS</c>.</summary>
    public static string JavaOptions(string mountPath) =>
        $"-Djavax.net.ssl.trustStore={mountPath.TrimEnd('/')}/{TrustPaths.TruststoreFile} -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword={TrustPaths.TruststorePassword}";

    /// <summary>Variables set to a file in the mount: full bundle for clients whose variable replaces their
    /// roots (OpenSSL/Go/.NET/curl/git, Python requests #4257, botocore), CA-only for Node's additive one.</summary>
    public static ImmutableArray<(string Name, string File)> FileVariables { get; } =
    [
        ("SSL_CERT_FILE", TrustPaths.BundleFile),
        ("REQUESTS_CA_BUNDLE", TrustPaths.BundleFile),
        ("CURL_CA_BUNDLE", TrustPaths.BundleFile),
        ("GIT_SSL_CAINFO", TrustPaths.BundleFile),
        ("AWS_CA_BUNDLE", TrustPaths.BundleFile),
        // NODE_EXTRA_CA_CERTS adds to Node's built-in roots, so the CA alone is right (nodejs #20432).
        ("NODE_EXTRA_CA_CERTS", TrustPaths.CaFile),
    ];

    private static string ValueQuoteName(string name) => Annotations.ValueQuote.Quote(name);

    private static JsonObject BundleVolume(RenderOptions options) => new()
    {
        ["name"] = TrustPaths.VolumeName,
        ["configMap"] = new JsonObject { ["name"] = options.TrustBundleName },
    };

    private static JsonObject SystemVolume(RenderOptions options) => new()
    {
        ["name"] = TrustPaths.SystemVolumeName,
        ["configMap"] = new JsonObject
        {
            ["name"] = options.TrustBundleName,
            ["items"] = new JsonArray([.. TrustPaths.SystemItems.Select(i => (JsonNode)new JsonObject { ["key"] = i.Key, ["path"] = i.Path })]),
        },
    };

    private static bool EnsureVolume(PatchBuilder builder, string name, JsonObject volume, ImmutableArray<string>.Builder warnings)
    {
        JsonObject? existing = null;
        foreach (var item in builder.Items(["spec", "volumes"]))
        {
            if (item is JsonObject v && (string?)v["name"] == name)
            {
                existing = v;
                break;
            }
        }

        if (existing is null)
        {
            builder.Append(["spec", "volumes"], volume);
            return true;
        }

        if (JsonNode.DeepEquals(existing, volume))
        {
            return true;
        }

        warnings.Add($"the pod already has a volume named {name} that is not the egress-tls trust bundle; it is kept and nothing is mounted from it");
        return false;
    }

    // Duplicate mountPaths are refused by the API server (operator-controller #2002), so a path the user
    // already mounts is left to them. Directory mounts only: a subPath mount never sees the ConfigMap's
    // updates, which would freeze the CA at its first version (kubernetes #50345).
    private static bool EnsureMount(PatchBuilder builder, string[] mountsPath, string volume, string path, string label, ImmutableArray<string>.Builder warnings)
    {
        JsonObject? existing = null;
        foreach (var item in builder.Items(mountsPath))
        {
            if (item is JsonObject m && ((string?)m["mountPath"])?.TrimEnd('/') == path)
            {
                existing = m;
                break;
            }
        }

        if (existing is null)
        {
            builder.Append(mountsPath, new JsonObject { ["name"] = volume, ["mountPath"] = path, ["readOnly"] = true });
            return true;
        }

        if ((string?)existing["name"] == volume && existing["subPath"] is null)
        {
            return true;
        }

        warnings.Add($"{label}: {path} is already mounted (volume {Annotations.ValueQuote.Quote((string?)existing["name"] ?? "")}); kept, egress-tls does not mount there");
        return false;
    }

    private static void AddEnvironment(PatchBuilder builder, string[] container, string dir, string label, ImmutableArray<string>.Builder warnings)
    {
        string[] envPath = [.. container, "env"];
        if (builder.Count([.. container, "envFrom"]) > 0)
        {
            warnings.Add($"{label} uses envFrom: the trust variables egress-tls adds to env take precedence over same-named keys there");
        }

        // One pass over the container's env finds every variable egress-tls sets (the variables it appends
        // have distinct names, so none of them can be found by a later lookup). The entries are read as the
        // user wrote them: the only member egress-tls changes in an entry, JAVA_TOOL_OPTIONS' value, is
        // changed last.
        var found = FindEnv(builder, envPath);
        for (var v = 0; v < FileVariables.Length; v++)
        {
            var (name, file) = FileVariables[v];
            var ours = $"{dir}/{file}";
            var entry = found[v].Entry;
            if (entry is null)
            {
                builder.Append(envPath, new JsonObject { ["name"] = name, ["value"] = ours });
            }
            else if (StringValue(entry) != ours)
            {
                warnings.Add($"{label}: {name} is already set ({Describe(entry)}); kept, so clients reading it may not trust the interception CA");
            }
        }

        MergeJavaOptions(builder, envPath, found[^1], dir, label, warnings);
    }

    // Java replaces its roots with the trustStore it is given, so the store holds every root plus the
    // CA (jib #2240); JAVA_TOOL_OPTIONS is appended to, never overwritten (peers.md C1).
    private static void MergeJavaOptions(PatchBuilder builder, string[] envPath, (int Index, JsonObject? Entry) found, string dir, string label, ImmutableArray<string>.Builder warnings)
    {
        const string name = JavaToolOptions;
        var ours = JavaOptions(dir);
        var (index, entry) = found;
        if (entry is null)
        {
            builder.Append(envPath, new JsonObject { ["name"] = name, ["value"] = ours });
            return;
        }

        if (entry["valueFrom"] is not null)
        {
            warnings.Add($"{label}: {name} comes from valueFrom; kept, Java in this container uses its own truststore (add {ours} to it to trust the interception CA)");
            return;
        }

        var theirs = StringValue(entry) ?? string.Empty;
        if (theirs.Contains(ours, StringComparison.Ordinal))
        {
            return;
        }

        if (theirs.Contains("-Djavax.net.ssl.trustStore=", StringComparison.Ordinal))
        {
            warnings.Add($"{label}: {name} already sets -Djavax.net.ssl.trustStore; kept, so Java may not trust the interception CA");
            return;
        }

        string[] valuePath = [.. envPath, index.ToString(System.Globalization.CultureInfo.InvariantCulture), "value"];
        if (entry["value"] is null)
        {
            builder.AddMember(valuePath[..^1], "value", JsonValue.Create(ours));
            return;
        }

        builder.ReplaceString(valuePath, theirs, theirs.Trim().Length == 0 ? ours : $"{theirs} {ours}");
    }

    // The entry of each of FileVariables, then of JAVA_TOOL_OPTIONS, with its index; the last entry wins
    // when a name repeats (kubelet builds the environment in order).
    private static (int Index, JsonObject? Entry)[] FindEnv(PatchBuilder builder, string[] envPath)
    {
        var found = new (int Index, JsonObject? Entry)[FileVariables.Length + 1];
        found.AsSpan().Fill((-1, null));
        var i = 0;
        if (builder.TryGetOriginal(envPath, out var env))
        {
            // The env as the API server sent it: names compared as UTF-8, a node made only for a match.
            if (env.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in env.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String
                        && VariableIndex(name) is var v and >= 0)
                    {
                        found[v] = (i, builder.Item(envPath, i) as JsonObject);
                    }

                    i++;
                }
            }

            return found;
        }

        foreach (var item in builder.Items(envPath))
        {
            if (item is JsonObject entry && entry["name"] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            {
                var v = VariableIndex((string)value!);
                if (v >= 0)
                {
                    found[v] = (i, entry);
                }
            }

            i++;
        }

        return found;
    }

    // The index in `found` of a variable egress-tls sets (FileVariables, then JAVA_TOOL_OPTIONS last), or -1.
    private static int VariableIndex(string name)
    {
        for (var v = 0; v < FileVariables.Length; v++)
        {
            if (FileVariables[v].Name == name)
            {
                return v;
            }
        }

        return name == JavaToolOptions ? FileVariables.Length : -1;
    }

    private static int VariableIndex(JsonElement name)
    {
        for (var v = 0; v < FileVariables.Length; v++)
        {
            if (name.ValueEquals(FileVariables[v].Name))
            {
                return v;
            }
        }

        return name.ValueEquals(JavaToolOptions) ? FileVariables.Length : -1;
    }

    private static string? StringValue(JsonObject entry) =>
        entry["value"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? (string?)v : null;

    private static string Describe(JsonObject entry) =>
        entry["valueFrom"] is not null ? "from valueFrom" : $"to {Annotations.ValueQuote.Quote(StringValue(entry) ?? string.Empty)}";
}
