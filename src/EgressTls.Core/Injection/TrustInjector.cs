using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EgressTls.Core.Patching;
using EgressTls.Core.Rendering;
using static EgressTls.Core.JsonMembers;

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

    // Names compared as the UTF-8 the pod is parsed from (a string would be transcoded on every comparison).
    private static readonly byte[][] ContainersUtf8 = [.. Containers.Select(Encoding.UTF8.GetBytes)];

    private static readonly byte[] VolumeNameUtf8 = Encoding.UTF8.GetBytes(TrustPaths.VolumeName);

    private static readonly byte[] SystemVolumeNameUtf8 = Encoding.UTF8.GetBytes(TrustPaths.SystemVolumeName);

    /// <summary>
    /// Records the injection on <paramref name="builder"/> (whose document is the pod, with nothing recorded
    /// yet: the pod is read as admitted) and returns the outcome. Re-running on an injected pod records
    /// nothing: every volume, mount and variable is checked, not just the status annotation, so containers
    /// added by later webhooks still get them (reinvocationPolicy IfNeeded; istio #38354).
    /// </summary>
    /// <remarks>
    /// The pod is read as its parsed JSON, with no node made for it, and what is written is remembered here
    /// (the mounts added to each container), which is all a later check can find besides the pod.
    /// </remarks>
    public static TrustInjection Inject(PatchBuilder builder, RenderOptions options, bool systemPaths)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.OperationCount > 0)
        {
            throw new InvalidOperationException("the trust injection reads the pod as admitted: it must record the first operations of a patch");
        }

        var warnings = ImmutableArray.CreateBuilder<string>();
        var written = WrittenFor(options.TrustMountPath.TrimEnd('/'), options.TrustBundleName);
        var dir = written.Dir;
        var spec = Member(builder.Original, "spec"u8, JsonValueKind.Object);

        // The two volumes have different names, so the second check cannot find the first one appended.
        if (!EnsureVolume(builder, spec, TrustPaths.VolumeName, VolumeNameUtf8, written.BundleVolume, written.BundleName, [], warnings))
        {
            return new TrustInjection(false, warnings.ToImmutable());
        }

        var systemVolume = systemPaths
            && EnsureVolume(builder, spec, TrustPaths.SystemVolumeName, SystemVolumeNameUtf8, written.SystemVolume, written.BundleName, TrustPaths.SystemItems, warnings);

        List<(string Path, string Volume)> added = [];
        var found = new (int Index, JsonElement? Entry)[VariableNamesUtf8.Length];
        // Room for the two volumes, a container's mounts and variables, and the few the render records after.
        builder.EnsureCapacity(8 + (ContainerCount(spec) * (1 + (systemVolume ? written.SystemMounts.Length : 0) + written.Variables.Length + 1)));
        for (var l = 0; l < Containers.Length; l++)
        {
            var list = Containers[l];
            if (Member(spec, ContainersUtf8[l], JsonValueKind.Array) is not { } containers)
            {
                continue;
            }

            var i = 0;
            foreach (var item in containers.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidOperationException($"spec.{list}[{i}] is {item.ValueKind}, not a container (PodShape refuses such pods)");
                }

                var index = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var label = new ContainerLabel(item, list, i);
                string[] mountsPath = ["spec", list, index, "volumeMounts"];
                var mounts = Member(item, "volumeMounts"u8, JsonValueKind.Array);
                added.Clear();
                i++;

                if (!EnsureMount(builder, mounts, added, mountsPath, written.BundleMount, label, warnings))
                {
                    warnings.Add($"{label}: no trust environment variables added, because {dir} is not the egress-tls trust bundle there");
                    continue;
                }

                if (systemVolume)
                {
                    foreach (var systemMount in written.SystemMounts)
                    {
                        EnsureMount(builder, mounts, added, mountsPath, systemMount, label, warnings);
                    }
                }

                AddEnvironment(builder, item, ["spec", list, index, "env"], written, label, warnings, found);
            }
        }

        return new TrustInjection(true, warnings.ToImmutable());
    }

    // Containers and init containers, for the patch's capacity (an estimate: a container may need fewer operations).
    private static int ContainerCount(JsonElement? spec)
    {
        var count = 0;
        foreach (var list in ContainersUtf8)
        {
            if (Member(spec, list, JsonValueKind.Array) is { } containers)
            {
                count += containers.GetArrayLength();
            }
        }

        return count;
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

    // After FileVariables, which it is made from (static fields are initialised in order).
    private static readonly byte[][] VariableNamesUtf8 = [.. FileVariables.Select(v => v.Name).Append(JavaToolOptions).Select(Encoding.UTF8.GetBytes)];

    /// <summary>How warnings name a container (<c>container "app"</c>, <c>init container "migrate"</c>), spelled
    /// out only when a warning is written.</summary>
    private readonly record struct ContainerLabel(JsonElement Container, string List, int Index)
    {
        public override string ToString()
        {
            var name = Member(Container, "name"u8, JsonValueKind.String)?.GetString() ?? $"{List}[{Index}]";
            return $"{(List == "initContainers" ? "init container" : "container")} {Annotations.ValueQuote.Quote(name)}";
        }
    }

    private static JsonObject BundleVolume(string bundleName) => new()
    {
        ["name"] = TrustPaths.VolumeName,
        ["configMap"] = new JsonObject { ["name"] = bundleName },
    };

    private static JsonObject SystemVolume(string bundleName) => new()
    {
        ["name"] = TrustPaths.SystemVolumeName,
        ["configMap"] = new JsonObject
        {
            ["name"] = bundleName,
            ["items"] = new JsonArray([.. TrustPaths.SystemItems.Select(i => (JsonNode)new JsonObject { ["key"] = i.Key, ["path"] = i.Path })]),
        },
    };

    private static readonly string[] VolumesPath = ["spec", "volumes"];

    // ConfigMapVolumeSourceDefaultMode, 0644: the defaultMode the API server gives a ConfigMap volume without one.
    private const int DefaultMode = 420;

    // The values written for the last trust mount path and bundle name asked for (one pair per process in practice).
    private static Written? lastWritten;

    /// <summary>
    /// What the injection writes for one trust mount path <paramref name="Dir"/> and bundle ConfigMap
    /// <paramref name="BundleName"/> (the volumes, and the mounts and variables of every container), made once
    /// and shared by the operations of every render (never changed: <see cref="PatchOperation.Value"/>).
    /// A large pod's injection made a node and a string for each of them in every container.
    /// </summary>
    private sealed record Written(
        string Dir, string BundleName, SharedValue BundleVolume, SharedValue SystemVolume, Mount BundleMount, ImmutableArray<Mount> SystemMounts,
        ImmutableArray<Variable> Variables, Variable Java)
    {
        public static Written For(string dir, string bundleName) => new(
            dir,
            bundleName,
            new SharedValue(TrustInjector.BundleVolume(bundleName)),
            new SharedValue(TrustInjector.SystemVolume(bundleName)),
            new Mount(dir, TrustPaths.VolumeName),
            [.. TrustPaths.SystemDirectories.Select(d => new Mount(d, TrustPaths.SystemVolumeName))],
            [.. FileVariables.Select(v => new Variable(v.Name, $"{dir}/{v.File}"))],
            new Variable(JavaToolOptions, JavaOptions(dir)));
    }

    private sealed record Mount(string Path, string Volume)
    {
        public SharedValue Node { get; } = new(new JsonObject { ["name"] = Volume, ["mountPath"] = Path, ["readOnly"] = true });

        public byte[] PathUtf8 { get; } = Encoding.UTF8.GetBytes(Path);
    }

    // Whether a mountPath is the mount's path, trailing slashes aside; compared as the bytes sent when it has
    // no escape sequence.
    private static bool IsPath(JsonElement mountPath, Mount mount) =>
        TryUnescaped(mountPath, out var value)
            ? value.TrimEnd((byte)'/').SequenceEqual(mount.PathUtf8)
            : mountPath.GetString().AsSpan().TrimEnd('/').SequenceEqual(mount.Path);

    private sealed record Variable(string Name, string Value)
    {
        public SharedValue Entry { get; } = new(new JsonObject { ["name"] = Name, ["value"] = Value });
    }

    private static Written WrittenFor(string dir, string bundleName)
    {
        var written = Volatile.Read(ref lastWritten);
        if (written is null || written.Dir != dir || written.BundleName != bundleName)
        {
            written = Written.For(dir, bundleName);
            Volatile.Write(ref lastWritten, written);
        }

        return written;
    }

    // `items`: those of the system volume, empty for the bundle volume (which has none).
    private static bool EnsureVolume(
        PatchBuilder builder, JsonElement? spec, string name, byte[] nameUtf8, SharedValue volume, string bundleName, ImmutableArray<(string Key, string Path)> items,
        ImmutableArray<string>.Builder warnings)
    {
        JsonElement? existing = null;
        if (Member(spec, "volumes"u8, JsonValueKind.Array) is { } volumes)
        {
            foreach (var item in volumes.EnumerateArray())
            {
                if (Member(item, "name"u8, JsonValueKind.String) is { } itemName && itemName.ValueEquals(nameUtf8))
                {
                    existing = item;
                    break;
                }
            }
        }

        if (existing is null)
        {
            builder.Append(VolumesPath, volume);
            return true;
        }

        if (IsWrittenVolume(existing.Value, bundleName, items))
        {
            return true;
        }

        warnings.Add($"the pod already has a volume named {name} that is not the egress-tls trust bundle; it is kept and nothing is mounted from it");
        return false;
    }

    /// <summary>
    /// Whether a volume is one egress-tls wrote (<see cref="BundleVolume"/>, <see cref="SystemVolume"/>), as the
    /// API server gives it back: the fields egress-tls sets are equal, and a field it leaves out is absent or
    /// has the value the API server defaults it to. kube-apiserver defaults the object again after each
    /// mutating webhook's patch (k8s.io/apiserver admission/plugin/webhook/mutating/dispatcher.go decodes the
    /// patched object and calls the scheme's defaulter), and the Pod defaulter sets a ConfigMap volume's
    /// <c>defaultMode</c> to 0644, i.e. 420 (SetDefaults_ConfigMapVolumeSource in pkg/apis/core/v1/defaults.go);
    /// a pod re-created from <c>kubectl get -o yaml</c> carries it too. <c>optional: false</c> is what absent
    /// means. Nothing else egress-tls writes is defaulted: no default applies to KeyToPath (items), VolumeMount
    /// (readOnly, recursiveReadOnly, mountPropagation stay as sent) or a literal EnvVar.
    /// </summary>
    private static bool IsWrittenVolume(JsonElement volume, string bundleName, ImmutableArray<(string Key, string Path)> items)
    {
        var configMap = false;
        foreach (var member in volume.EnumerateObject())
        {
            if (member.Value.ValueKind == JsonValueKind.Null || member.NameEquals("name"u8))
            {
                continue;
            }

            if (!member.NameEquals("configMap"u8) || !IsWrittenConfigMap(member.Value, bundleName, items))
            {
                return false;
            }

            configMap = true;
        }

        return configMap;
    }

    private static bool IsWrittenConfigMap(JsonElement configMap, string bundleName, ImmutableArray<(string Key, string Path)> items)
    {
        if (configMap.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var named = false;
        var listed = items.IsEmpty;
        foreach (var member in configMap.EnumerateObject())
        {
            var value = member.Value;
            var written = value.ValueKind switch
            {
                JsonValueKind.Null => true,
                _ when member.NameEquals("name"u8) => named = value.ValueKind == JsonValueKind.String && value.ValueEquals(bundleName),
                _ when member.NameEquals("items"u8) => listed = !items.IsEmpty && IsWrittenItems(value, items),
                _ when member.NameEquals("defaultMode"u8) => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var mode) && mode == DefaultMode,
                _ when member.NameEquals("optional"u8) => value.ValueKind == JsonValueKind.False,
                _ => false,
            };
            if (!written)
            {
                return false;
            }
        }

        return named && listed;
    }

    // The items in the order written, each with its key and path only (a KeyToPath's mode has no default).
    private static bool IsWrittenItems(JsonElement list, ImmutableArray<(string Key, string Path)> items)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() != items.Length)
        {
            return false;
        }

        var i = 0;
        foreach (var item in list.EnumerateArray())
        {
            var (key, path) = items[i++];
            if (item.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var count = 0;
            foreach (var member in item.EnumerateObject())
            {
                var value = member.Value;
                var written = value.ValueKind switch
                {
                    JsonValueKind.Null => true,
                    JsonValueKind.String when member.NameEquals("key"u8) => value.ValueEquals(key),
                    JsonValueKind.String when member.NameEquals("path"u8) => value.ValueEquals(path),
                    _ => false,
                };
                if (!written)
                {
                    return false;
                }

                count += value.ValueKind == JsonValueKind.Null ? 0 : 1;
            }

            if (count != 2)
            {
                return false;
            }
        }

        return true;
    }

    // Duplicate mountPaths are refused by the API server (operator-controller #2002), so a path the user
    // already mounts is left to them. Directory mounts only: a subPath mount never sees the ConfigMap's
    // updates, which would freeze the CA at its first version (kubernetes #50345). A mount of the volume at the
    // path is ours whatever else it says (readOnly, recursiveReadOnly, mountPropagation: none is defaulted, and
    // none changes which files it shows). `added`: the mounts this injection already appended to the container.
    private static bool EnsureMount(
        PatchBuilder builder, JsonElement? mounts, List<(string Path, string Volume)> added, string[] mountsPath, Mount mount, ContainerLabel label,
        ImmutableArray<string>.Builder warnings)
    {
        var (path, volume) = mount;
        if (mounts is { } items)
        {
            foreach (var item in items.EnumerateArray())
            {
                if (Member(item, "mountPath"u8, JsonValueKind.String) is { } mountPath && IsPath(mountPath, mount))
                {
                    var name = Member(item, "name"u8, JsonValueKind.String)?.GetString();
                    return name == volume && !MountsPart(item) || Kept(name);
                }
            }
        }

        foreach (var (addedPath, addedVolume) in added)
        {
            if (addedPath == path)
            {
                return addedVolume == volume || Kept(addedVolume);
            }
        }

        builder.Append(mountsPath, mount.Node);
        added.Add((path, volume));
        return true;

        bool Kept(string? name)
        {
            warnings.Add($"{label}: {path} is already mounted (volume {Annotations.ValueQuote.Quote(name ?? "")}); kept, egress-tls does not mount there");
            return false;
        }
    }

    // Whether a mount shows only a part of its volume: a subPath or subPathExpr (the same with variables
    // expanded), which never sees the ConfigMap's updates. An empty one is no subPath (the API server omits it).
    private static bool MountsPart(JsonElement mount) => IsSet(mount, "subPath"u8) || IsSet(mount, "subPathExpr"u8);

    private static bool IsSet(JsonElement mount, ReadOnlySpan<byte> name) =>
        mount.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null && !(value.ValueKind == JsonValueKind.String && value.ValueEquals(""u8));

    private static void AddEnvironment(
        PatchBuilder builder, JsonElement container, string[] envPath, Written written, ContainerLabel label, ImmutableArray<string>.Builder warnings,
        (int Index, JsonElement? Entry)[] found)
    {
        if (Member(container, "envFrom"u8, JsonValueKind.Array) is { } envFrom && envFrom.GetArrayLength() > 0)
        {
            warnings.Add($"{label} uses envFrom: the trust variables egress-tls adds to env take precedence over same-named keys there");
        }

        // One pass over the container's env finds every variable egress-tls sets (the variables it appends
        // have distinct names, so none of them can be found by a later lookup). The entries are read as the
        // user wrote them: the only member egress-tls changes in an entry, JAVA_TOOL_OPTIONS' value, is
        // changed last.
        FindEnv(Member(container, "env"u8, JsonValueKind.Array), found);
        for (var v = 0; v < written.Variables.Length; v++)
        {
            var variable = written.Variables[v];
            if (found[v].Entry is not { } entry)
            {
                builder.Append(envPath, variable.Entry);
            }
            else if (StringValue(entry) != variable.Value)
            {
                warnings.Add($"{label}: {variable.Name} is already set ({Describe(entry)}); kept, so clients reading it may not trust the interception CA");
            }
        }

        MergeJavaOptions(builder, envPath, found[^1], written.Java, label, warnings);
    }

    // Java replaces its roots with the trustStore it is given, so the store holds every root plus the
    // CA (jib #2240); JAVA_TOOL_OPTIONS is appended to, never overwritten (peers.md C1).
    private static void MergeJavaOptions(
        PatchBuilder builder, string[] envPath, (int Index, JsonElement? Entry) found, Variable java, ContainerLabel label, ImmutableArray<string>.Builder warnings)
    {
        var (name, ours) = java;
        if (found.Entry is not { } entry)
        {
            builder.Append(envPath, java.Entry);
            return;
        }

        if (Has(entry, "valueFrom"u8))
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

        string[] entryPath = [.. envPath, found.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        if (!Has(entry, "value"u8))
        {
            // An explicit `value: null` is the user's: AddMember leaves an existing member alone.
            builder.AddMember(entryPath, "value", JsonValue.Create(ours));
            return;
        }

        builder.ReplaceString([.. entryPath, "value"], theirs, theirs.Trim().Length == 0 ? ours : $"{theirs} {ours}");
    }

    // The entry of each of FileVariables, then of JAVA_TOOL_OPTIONS, with its index in the env as the API
    // server sent it (names compared as UTF-8), into `found`; the last entry wins when a name repeats
    // (kubelet builds the environment in order).
    private static void FindEnv(JsonElement? env, (int Index, JsonElement? Entry)[] found)
    {
        found.AsSpan().Fill((-1, null));
        if (env is not { } items)
        {
            return;
        }

        var i = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (Member(item, "name"u8, JsonValueKind.String) is { } name && VariableIndex(name) is var v and >= 0)
            {
                found[v] = (i, item);
            }

            i++;
        }
    }

    // The index in `found` of a variable egress-tls sets (FileVariables, then JAVA_TOOL_OPTIONS last), or -1.
    // A large pod has a few hundred env entries: a name is compared as the bytes sent, by length first.
    private static int VariableIndex(JsonElement name)
    {
        var unescaped = TryUnescaped(name, out var value);
        for (var v = 0; v < VariableNamesUtf8.Length; v++)
        {
            if (unescaped ? value.Length == VariableNamesUtf8[v].Length && value.SequenceEqual(VariableNamesUtf8[v]) : name.ValueEquals(VariableNamesUtf8[v]))
            {
                return v;
            }
        }

        return -1;
    }

    private static string? StringValue(JsonElement entry) => Member(entry, "value"u8, JsonValueKind.String)?.GetString();

    private static string Describe(JsonElement entry) =>
        Has(entry, "valueFrom"u8) ? "from valueFrom" : $"to {Annotations.ValueQuote.Quote(StringValue(entry) ?? string.Empty)}";
}
