using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using EgressTls.Core.Annotations;

namespace EgressTls.Webhook.Configuration;

/// <summary>
/// Reads the configuration file, applies the environment override (<c>POD_NAMESPACE</c>) and validates
/// everything at once, so a broken ConfigMap fails the pod at start with every mistake listed instead
/// of failing admissions later.
/// </summary>
internal static partial class ConfigLoader
{
    /// <summary>The serializer settings of the file: camelCase names, unknown fields refused, comments allowed.</summary>
    public static JsonSerializerOptions SerializerOptions { get; } = CreateOptions();

    /// <summary>Loads <paramref name="path"/> (or the defaults when <c>null</c>) and validates it.</summary>
    /// <param name="path">The JSON file, or <c>null</c> for the defaults.</param>
    /// <param name="environment">Reads environment variables.</param>
    /// <param name="checkServerFiles">Whether the certificate files must exist (false for <c>render</c>).</param>
    /// <exception cref="ConfigException">The file cannot be read, parsed or is invalid; the message lists every mistake.</exception>
    public static WebhookConfig Load(string? path, Func<string, string?> environment, bool checkServerFiles = true)
    {
        var errors = new List<string>();
        var removed = new List<string>();
        var config = path is null ? new WebhookConfig() : Read(path, errors, removed);
        var podNamespace = environment("POD_NAMESPACE");
        if (!string.IsNullOrWhiteSpace(podNamespace))
        {
            config = config with { Namespace = podNamespace.Trim() };
        }

        // A field whose value could not be used holds its default: what its checks say is not about the file.
        errors.AddRange(Validate(config, checkServerFiles)
            .Where(e => !removed.Any(r => ConfigShape.IsUnder(e[..Math.Max(0, e.IndexOf(": ", StringComparison.Ordinal))], r))));
        if (errors.Count > 0)
        {
            throw new ConfigException($"invalid configuration{(path is null ? "" : $" in {path}")}:\n  " + string.Join("\n  ", errors));
        }

        return config;
    }

    // Reads and binds the file. Shape mistakes (unknown fields, wrong types, nulls) go to errors and the
    // fields holding them keep their defaults, so the values around them are still validated.
    private static WebhookConfig Read(string path, List<string> errors, List<string> removed)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigException($"cannot read configuration file {path}: {ex.Message}");
        }

        JsonNode? document;
        try
        {
            document = ConfigShape.Parse(text, errors);
        }
        catch (JsonException ex)
        {
            // Nothing after a syntax error can be read; the reader's position is the best pointer there is.
            var line = ex.LineNumber is { } l ? $"line {l + 1}, " : "";
            var column = ex.BytePositionInLine is { } c ? $"byte {c + 1}: " : "";
            throw new ConfigException($"{path}: {line}{column}not valid JSON: {FirstSentence(ex.Message)}");
        }

        if (document is not JsonObject root)
        {
            throw new ConfigException($"{path}: the configuration is {(document is null ? "null" : document is JsonArray ? "a list" : "a single value")}; expected a JSON object");
        }

        removed.AddRange(ConfigShape.Check(root, SerializerOptions, errors));
        try
        {
            return root.Deserialize<WebhookConfig>(SerializerOptions) ?? new WebhookConfig();
        }
        catch (JsonException ex)
        {
            // The shape check mirrors the binding; should they ever differ, this still names the field.
            var where = ex.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : "configuration";
            throw new ConfigException($"{path}: {where}: {FirstSentence(ex.Message)}");
        }
    }

    // System.Text.Json appends "Path: $.x | LineNumber: ..." to its own messages; we print those ourselves.
    private static string FirstSentence(string message)
    {
        foreach (var marker in new[] { " Path: ", " LineNumber: " })
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }

        return message;
    }

    /// <summary>Every problem in <paramref name="config"/>, each naming its field. <paramref name="checkServerFiles"/>
    /// is false for <c>render</c>, which never serves and so never reads the certificate files.</summary>
    public static List<string> Validate(WebhookConfig config, bool checkServerFiles = true)
    {
        var errors = new List<string>();
        void Check(bool ok, string field, string message)
        {
            if (!ok)
            {
                errors.Add($"{field}: {message}");
            }
        }

        Check(IsDnsLabel(config.Namespace), "namespace", $"\"{config.Namespace}\" is not a namespace name (RFC 1123 label)");

        var server = config.Server;
        Check(server.Port is >= 0 and <= 65535, "server.port", $"{server.Port} is not a port (1-65535)");
        Check(server.MetricsPort is >= 0 and <= 65535, "server.metricsPort", $"{server.MetricsPort} is not a port (1-65535)");
        Check(server.Port == 0 || server.Port != server.MetricsPort, "server.metricsPort", "must differ from server.port");
        Check(server.MaxRequestBodyBytes is >= 1024 and <= 64L * 1024 * 1024, "server.maxRequestBodyBytes",
            $"{server.MaxRequestBodyBytes} is out of range; expected 1024 to 67108864 bytes");
        Check(server.ShutdownDelay >= TimeSpan.Zero && server.ShutdownDelay <= TimeSpan.FromMinutes(5), "server.shutdownDelay",
            $"{GoDuration.Format(server.ShutdownDelay)}; expected 0s (close at once) to 5m, such as 5s");
        Check(server.ShutdownTimeout >= TimeSpan.FromSeconds(1) && server.ShutdownTimeout <= TimeSpan.FromMinutes(5), "server.shutdownTimeout",
            $"{GoDuration.Format(server.ShutdownTimeout)}; expected 1s to 5m, such as 10s (at least the webhook's timeoutSeconds)");
        var hasCert = server.CertFile.Length > 0;
        var hasKey = server.KeyFile.Length > 0;
        Check(hasCert == hasKey, hasCert ? "server.keyFile" : "server.certFile", "certFile and keyFile must be given together (or neither, for an ephemeral certificate)");
        // With cert-manager the files are mounted before start; self-managed writes them later (not ready until then).
        var filesRequired = checkServerFiles && config.ServingCertificate.Mode == "cert-manager";
        Check(!filesRequired || !hasCert || File.Exists(server.CertFile), "server.certFile", $"{server.CertFile} does not exist (servingCertificate.mode cert-manager mounts it)");
        Check(!filesRequired || !hasKey || File.Exists(server.KeyFile), "server.keyFile", $"{server.KeyFile} does not exist (servingCertificate.mode cert-manager mounts it)");

        var cilium = config.Cilium;
        Check(TryParseCiliumVersion(cilium.Version, out _), "cilium.version", $"\"{cilium.Version}\" is not a supported Cilium version; expected 1.14 to 1.18");
        Check(cilium.SecretsMode is "auto" or "sds" or "inline", "cilium.secretsMode", $"\"{cilium.SecretsMode}\"; expected auto, sds or inline");
        Check(IsDnsLabel(cilium.EnvoySecretsNamespace), "cilium.envoySecretsNamespace", $"\"{cilium.EnvoySecretsNamespace}\" is not a namespace name");
        Check(IsDnsLabel(cilium.PolicySecretsNamespace), "cilium.policySecretsNamespace", $"\"{cilium.PolicySecretsNamespace}\" is not a namespace name");

        var ca = config.Ca;
        Check(ca.Source is "generate" or "import" or "cert-manager", "ca.source", $"\"{ca.Source}\"; expected generate, import or cert-manager");
        Check(IsDnsSubdomain(ca.SecretName), "ca.secretName", $"\"{ca.SecretName}\" is not a Secret name");
        Check(ca.Source != "import" || IsDnsSubdomain(ca.ImportSecretName), "ca.importSecretName", "required (a Secret name) when ca.source is import");
        Check(ca.Source != "cert-manager" || ca.CertManager.IssuerName.Length > 0, "ca.certManager.issuerName", "required when ca.source is cert-manager");
        Check(ca.CertManager.IssuerKind is "Issuer" or "ClusterIssuer", "ca.certManager.issuerKind", $"\"{ca.CertManager.IssuerKind}\"; expected Issuer or ClusterIssuer");
        CheckKeyAlgorithm(ca.KeyAlgorithm, "ca.keyAlgorithm", Check);
        CheckLifetime(ca.Duration, ca.RenewBefore, "ca", Check);
        Check(ca.Rotation.Propagation >= TimeSpan.Zero && ca.Rotation.Propagation < ca.RenewBefore, "ca.rotation.propagation",
            $"{GoDuration.Format(ca.Rotation.Propagation)}; expected at least 0s and less than ca.renewBefore ({GoDuration.Format(ca.RenewBefore)}), so a new CA signs before the old one expires");
        Check(ca.Rotation.CheckInterval >= TimeSpan.FromSeconds(1) && ca.Rotation.CheckInterval <= TimeSpan.FromHours(1), "ca.rotation.checkInterval",
            $"{GoDuration.Format(ca.Rotation.CheckInterval)}; expected between 1s and 1h");
        Check(ca.Source != "import" || ca.ImportSecretName != ca.SecretName, "ca.importSecretName",
            $"\"{ca.ImportSecretName}\" is also ca.secretName; expected another Secret: egress-tls keeps the CA and its rotation in ca.secretName and never writes the import Secret");
        CheckKeyAlgorithm(config.Leaf.KeyAlgorithm, "leaf.keyAlgorithm", Check);
        CheckLifetime(config.Leaf.Duration, config.Leaf.RenewBefore, "leaf", Check);
        CheckLifetime(config.ServingCertificate.Duration, config.ServingCertificate.RenewBefore, "servingCertificate", Check);
        Check(config.ServingCertificate.Mode is "self-managed" or "cert-manager", "servingCertificate.mode",
            $"\"{config.ServingCertificate.Mode}\"; expected self-managed or cert-manager");
        Check(IsDnsLabel(config.ServingCertificate.ServiceName), "servingCertificate.serviceName", $"\"{config.ServingCertificate.ServiceName}\" is not a Service name");

        Check(config.PublicRoots.File.Length > 0, "publicRoots.file", "required");
        Check(IsDnsSubdomain(config.TrustBundle.Name), "trustBundle.name", $"\"{config.TrustBundle.Name}\" is not a ConfigMap name");
        Check(IsMountDirectory(config.TrustBundle.MountPath), "trustBundle.mountPath",
            $"{ValueQuote.Quote(config.TrustBundle.MountPath)}; expected an absolute directory path below / without '.', '..' or ':' (such as /etc/egress-tls/trust)");

        for (var i = 0; i < config.InterceptGroups.Length; i++)
        {
            var group = config.InterceptGroups[i];
            Check(group.Name.Length > 0, $"interceptGroups[{i}].name", "required");
            Check(group.Hosts.Length > 0, $"interceptGroups[{i}].hosts", "at least one host is required");
            for (var j = 0; j < group.Hosts.Length; j++)
            {
                // The parser of egress-tls.io/intercept, which admission applies to these hosts: a host it
                // refuses would deny every pod of the selected namespaces.
                var host = group.Hosts[j];
                var field = $"interceptGroups[{i}].hosts[{j}]";
                if (host.Contains(',', StringComparison.Ordinal) || host.Trim().Length == 0)
                {
                    errors.Add($"{field}: {ValueQuote.Quote(host)}; expected one host[:port] per item, such as github.com or *.github.com:8443");
                    continue;
                }

                foreach (var problem in InterceptParser.Parse(host).Problems)
                {
                    errors.Add($"{field}: {problem}");
                }
            }
        }

        // An empty selector would match every pod of the Provider's namespace, and each would present its client certificate.
        Check(!config.Flux.Enabled || config.Flux.NotificationControllerSelector.Count > 0, "flux.notificationControllerSelector",
            "empty; expected the labels of the notification-controller pods, such as {\"app\": \"notification-controller\"} (or flux.enabled false)");
        foreach (var (key, value) in config.Flux.NotificationControllerSelector)
        {
            Check(IsLabelKey(key) && IsLabelValue(value), $"flux.notificationControllerSelector[{ValueQuote.Quote(key)}]",
                $"{ValueQuote.Quote(value)}; expected a label name ([prefix/]name) and a label value (up to 63 letters, digits, '-', '_' or '.')");
        }

        // Kubernetes caps webhook timeouts at 30s; the budget must leave room for the answer itself.
        Check(config.Admission.ApplyTimeout > TimeSpan.Zero && config.Admission.ApplyTimeout < TimeSpan.FromSeconds(30),
            "admission.applyTimeout", $"{GoDuration.Format(config.Admission.ApplyTimeout)}; expected more than 0s and less than 30s");
        Check(config.Reconciler.ResyncPeriod > TimeSpan.Zero, "reconciler.resyncPeriod", "must be positive");
        Check(config.Reconciler.GarbageCollectionGracePeriod >= TimeSpan.FromSeconds(30), "reconciler.garbageCollectionGracePeriod",
            $"{GoDuration.Format(config.Reconciler.GarbageCollectionGracePeriod)}; expected at least 30s (admission writes objects before the pod is visible to the reconciler's caches)");
        var election = config.Reconciler.LeaderElection;
        Check(election.RetryPeriod > TimeSpan.Zero && election.RetryPeriod < election.RenewDeadline && election.RenewDeadline < election.LeaseDuration,
            "reconciler.leaderElection", "expected 0 < retryPeriod < renewDeadline < leaseDuration");
        for (var i = 0; i < config.ExcludedNamespaces.Length; i++)
        {
            Check(IsDnsLabel(config.ExcludedNamespaces[i]), $"excludedNamespaces[{i}]", $"\"{config.ExcludedNamespaces[i]}\" is not a namespace name");
        }

        // Names only: Enum.TryParse also takes numbers and comma lists ("Debug,Information" ORs to Warning).
        Check(Enum.GetNames<Serilog.Events.LogEventLevel>().Contains(config.LogLevel, StringComparer.OrdinalIgnoreCase),
            "logLevel", $"{ValueQuote.Quote(config.LogLevel)}; expected Verbose, Debug, Information, Warning, Error or Fatal");
        return errors;
    }

    /// <summary>Parses a Cilium minor version (<c>1.17</c>, also <c>1.17.3</c> or <c>v1.17</c>) in the supported range.</summary>
    public static bool TryParseCiliumVersion(string? text, out Version version)
    {
        version = new Version(0, 0);
        if (text is null)
        {
            return false;
        }

        var match = CiliumVersionPattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        // Digits beyond int's range are simply not a supported version.
        if (!int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            return false;
        }

        version = new Version(major, minor);
        return version >= new Version(1, 14) && version <= new Version(1, 18);
    }

    private static void CheckKeyAlgorithm(string value, string field, Action<bool, string, string> check) =>
        check(value is "ecdsa-p256" or "ecdsa-p384" or "rsa-2048" or "rsa-3072" or "rsa-4096", field,
            $"\"{value}\"; expected ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096");

    private static void CheckLifetime(TimeSpan duration, TimeSpan renewBefore, string section, Action<bool, string, string> check)
    {
        check(duration >= TimeSpan.FromHours(1), $"{section}.duration", $"{GoDuration.Format(duration)} is too short; expected at least 1h");
        check(renewBefore > TimeSpan.Zero && renewBefore < duration, $"{section}.renewBefore",
            $"{GoDuration.Format(renewBefore)}; expected more than 0s and less than {section}.duration");
    }

    // A volume mount directory: absolute, not the root (the trust files would be mounted over the whole
    // filesystem, and the patch would carry an empty mountPath), no relative or empty segments.
    private static bool IsMountDirectory(string value) =>
        value.StartsWith('/') && !value.Contains(':', StringComparison.Ordinal)
        && value.TrimEnd('/').Length > 0
        && value.TrimEnd('/')[1..].Split('/').All(segment => segment is { Length: > 0 } and not "." and not "..");

    // Kubernetes label syntax (apimachinery IsQualifiedName / IsValidLabelValue).
    private static bool IsLabelKey(string key)
    {
        var slash = key.LastIndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        return (slash < 0 || IsDnsSubdomain(key[..slash])) && IsLabelValue(name) && name.Length > 0;
    }

    private static bool IsLabelValue(string value) => value.Length <= 63 && LabelValuePattern().IsMatch(value);

    private static bool IsDnsLabel(string? value) => value is { Length: > 0 and <= 63 } && DnsLabelPattern().IsMatch(value);

    private static bool IsDnsSubdomain(string? value) => value is { Length: > 0 and <= 253 } && DnsSubdomainPattern().IsMatch(value);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            RespectNullableAnnotations = true,
            AllowDuplicateProperties = false,
        };
        options.Converters.Add(new GoDurationConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabelPattern();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomainPattern();

    [GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValuePattern();

    [GeneratedRegex(@"^v?(\d+)\.(\d+)(\.\d+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex CiliumVersionPattern();
}
