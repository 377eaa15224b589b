using System.Text.Json.Nodes;

namespace EgressTls.Chart.Tests;

public sealed class RbacTests
{
    /// <summary>Where a grant applies.</summary>
    private enum Scope
    {
        /// <summary>ClusterRole: every namespace / cluster-scoped objects.</summary>
        Cluster,

        /// <summary>Role in the release namespace.</summary>
        Release,

        /// <summary>Role in Cilium's envoy or policy secrets namespace.</summary>
        CiliumSecrets,

        /// <summary>Role in kube-system.</summary>
        KubeSystem,

        /// <summary>Role in a namespace listed in rbac.secretReadNamespaces.</summary>
        SecretRead,
    }

    private sealed record Allowed(string Group, string Resource, string[] Verbs, Scope Scope, string[]? ResourceNames, string Reason);

    // Writes are server-side apply (patch) and creates: no update, except where an object is replaced.
    private static readonly string[] ReadWrite = ["get", "list", "watch", "create", "patch", "delete"];

    /// <summary>Everything egress-tls may be granted, with why. A grant outside this list fails the tests
    /// (no verb on a kind egress-tls does not use).</summary>
    private static readonly Allowed[] AllowList =
    [
        new("", "namespaces", ["get", "list", "watch"], Scope.Cluster, null, "opt-in label and namespace annotation defaults; the reconciler follows namespaces"),
        new("", "pods", ["list", "watch"], Scope.Cluster, null, "the reconciler finds opted-in pods in every namespace"),
        new("", "secrets", ["get"], Scope.Cluster, null, "client-certificate/CA Secrets named by annotations, in the workload's namespace"),
        new("", "secrets", ["get"], Scope.SecretRead, null, "the same, narrowed to rbac.secretReadNamespaces"),
        new("", "secrets", [.. ReadWrite, "update"], Scope.Release, null, "the CA, SDS-mode leaf certificates, the serving certificate (the CA and serving certificate Secrets are replaced with a resourceVersion precondition)"),
        new("", "secrets", ReadWrite, Scope.CiliumSecrets, null, "client-certificate copies for CEC SDS; inline-mode leaf certificates"),
        new("", "configmaps", ["create"], Scope.Cluster, null, "the per-namespace trust bundle (create cannot be limited by name)"),
        new("", "configmaps", ["get", "patch", "delete"], Scope.Cluster, ["egress-tls-trust-bundle"], "the trust bundle, and only it"),
        new("", "events", ["create", "patch"], Scope.Cluster, null, "events on pods and Providers"),
        new("cilium.io", "ciliumnetworkpolicies", ReadWrite, Scope.Cluster, null, "redirect policies in workload namespaces"),
        new("cilium.io", "ciliumenvoyconfigs", ReadWrite, Scope.Cluster, null, "mTLS listeners in workload namespaces"),
        new("cilium.io", "ciliumclusterwideenvoyconfigs", ReadWrite, Scope.Cluster, null, "mTLS listeners when cilium.clusterwideEnvoyConfig"),
        new("notification.toolkit.fluxcd.io", "providers", ["list", "watch"], Scope.Cluster, null, "Flux Providers annotated for mTLS (a list+watch cache)"),
        new("admissionregistration.k8s.io", "mutatingwebhookconfigurations", ["get", "patch"], Scope.Cluster, ["egress-tls"], "caBundle of its own webhook configuration (self-managed serving certificate)"),
        new("coordination.k8s.io", "leases", ["create"], Scope.Release, null, "leader election"),
        new("coordination.k8s.io", "leases", ["get", "update"], Scope.Release, ["egress-tls-leader"], "leader election, its own lease only"),
        new("cert-manager.io", "certificates", ["create", "patch", "delete"], Scope.Release, null, "leaf Certificates issued by cert-manager (ca.source=cert-manager), server-side applied, deleted with their leaf"),
        new("", "configmaps", ["get"], Scope.Release, ["internal-ca-bundle"], "the issuer's CA for trust bundles (ca.issuer.caSecretName, as a ConfigMap)"),
        new("", "configmaps", ["get"], Scope.KubeSystem, ["cilium-config"], "Cilium secrets mode detection"),
        new("apps", "daemonsets", ["get"], Scope.KubeSystem, ["cilium"], "Cilium version detection"),
    ];

    private sealed record Grant(string Role, Scope Scope, string Group, string Resource, string Verb, string[]? ResourceNames);

    private static List<Grant> Grants(RenderedChart chart)
    {
        var config = chart.Config;
        var ciliumSecrets = new[] { (string)config["cilium"]!["envoySecretsNamespace"]!, (string)config["cilium"]!["policySecretsNamespace"]! };
        var grants = new List<Grant>();
        foreach (var role in chart.OfKind("ClusterRole").Concat(chart.OfKind("Role")))
        {
            var ns = (string?)role["metadata"]!["namespace"];
            var scope = (string)role["kind"]! == "ClusterRole" ? Scope.Cluster
                : ns == Helm.ReleaseNamespace ? Scope.Release
                : ns == "kube-system" ? Scope.KubeSystem
                : ciliumSecrets.Contains(ns) ? Scope.CiliumSecrets
                : Scope.SecretRead;
            var name = $"{role["kind"]}/{ns}/{role["metadata"]!["name"]}";
            foreach (var rule in role["rules"]!.AsArray())
            {
                rule!.AsObject().Should().NotContainKey("nonResourceURLs", name);
                var names = rule["resourceNames"]?.AsArray().Select(n => (string)n!).ToArray();
                foreach (var group in Strings(rule["apiGroups"]))
                {
                    foreach (var resource in Strings(rule["resources"]))
                    {
                        foreach (var verb in Strings(rule["verbs"]))
                        {
                            grants.Add(new Grant(name, scope, group, resource, verb, names));
                        }
                    }
                }
            }
        }

        return grants;
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node?.AsArray().Select(n => (string)n!) ?? [];

    public static TheoryData<string, string> Configurations()
    {
        var data = new TheoryData<string, string> { { "default values", "" } };
        foreach (var file in Helm.CiValuesFiles)
        {
            data.Add(file, file);
        }

        return data;
    }

    private static RenderedChart Render(string valuesFile) => valuesFile.Length == 0 ? Helm.Template() : Helm.Template("-f", $"ci/{valuesFile}");

    [Theory]
    [MemberData(nameof(Configurations))]
    public void No_wildcard_verb_resource_or_api_group(string name, string valuesFile)
    {
        Grants(Render(valuesFile)).Should().NotBeEmpty(name).And.AllSatisfy(g =>
        {
            g.Group.Should().NotContain("*", g.ToString());
            g.Resource.Should().NotContain("*", g.ToString());
            g.Verb.Should().NotBe("*", g.ToString());
        });
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_grant_is_in_the_allow_list_of_what_egress_tls_uses(string name, string valuesFile)
    {
        var unexpected = Grants(Render(valuesFile)).Where(g => !AllowList.Any(a =>
            a.Group == g.Group && a.Resource == g.Resource && a.Verbs.Contains(g.Verb) && a.Scope == g.Scope &&
            (a.ResourceNames is null || (g.ResourceNames is not null && g.ResourceNames.SequenceEqual(a.ResourceNames))))).ToList();
        unexpected.Should().BeEmpty($"{name}: every grant needs an allow-list entry with a reason");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Secrets_are_written_only_through_roles_in_the_release_and_cilium_secrets_namespaces(string name, string valuesFile)
    {
        var chart = Render(valuesFile);
        var secretWrites = Grants(chart).Where(g => g.Group == "" && g.Resource == "secrets" && g.Verb != "get").ToList();
        secretWrites.Should().NotBeEmpty(name);
        secretWrites.Should().AllSatisfy(g => g.Scope.Should().BeOneOf([Scope.Release, Scope.CiliumSecrets], g.ToString()));
        var config = chart.Config;
        var expected = new[] { Helm.ReleaseNamespace, (string)config["cilium"]!["envoySecretsNamespace"]!, (string)config["cilium"]!["policySecretsNamespace"]! }.Distinct();
        secretWrites.Select(g => g.Role.Split('/')[1]).Distinct().Should().BeEquivalentTo(expected);
        Grants(chart).Where(g => g.Resource == "secrets" && g.Scope == Scope.Cluster).Select(g => g.Verb).Should().NotContain(v => v != "get");
    }

    [Fact]
    public void Secret_reads_can_be_narrowed_to_listed_namespaces()
    {
        var grants = Grants(Helm.Template("-f", "ci/inline-clusterwide-values.yaml"));
        grants.Where(g => g.Resource == "secrets" && g.Scope == Scope.Cluster).Should().BeEmpty();
        grants.Where(g => g.Resource == "secrets" && g.Scope == Scope.SecretRead).Select(g => g.Role.Split('/')[1])
            .Should().BeEquivalentTo(["flux-system", "payments"]);
    }

    [Fact]
    public void Grants_follow_the_features_that_need_them()
    {
        var defaults = Grants(Helm.Template());
        defaults.Should().NotContain(g => g.Resource == "ciliumclusterwideenvoyconfigs");
        defaults.Should().NotContain(g => g.Group == "cert-manager.io");
        defaults.Should().Contain(g => g.Resource == "mutatingwebhookconfigurations");
        defaults.Should().Contain(g => g.Scope == Scope.KubeSystem, "secretsMode auto reads cilium-config");

        var inline = Grants(Helm.Template("-f", "ci/inline-clusterwide-values.yaml"));
        inline.Should().Contain(g => g.Resource == "ciliumclusterwideenvoyconfigs" && g.Verb == "create");
        inline.Should().NotContain(g => g.Scope == Scope.KubeSystem, "an explicit secrets mode needs no detection");

        var certManager = Grants(Helm.Template("-f", "ci/cert-manager-values.yaml"));
        certManager.Should().Contain(g => g.Group == "cert-manager.io" && g.Resource == "certificates" && g.Scope == Scope.Release);
        certManager.Should().NotContain(g => g.Resource == "mutatingwebhookconfigurations", "cert-manager's CA injector writes the caBundle");

        var noLeader = Grants(Helm.Template("-f", "ci/ignore-single-replica-values.yaml"));
        noLeader.Should().NotContain(g => g.Resource == "leases");
        noLeader.Should().NotContain(g => g.Resource == "providers");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Every_role_is_bound_to_the_chart_service_account_only(string name, string valuesFile)
    {
        var chart = Render(valuesFile);
        var serviceAccount = (string)chart.Single("ServiceAccount")["metadata"]!["name"]!;
        var roles = chart.OfKind("ClusterRole").Concat(chart.OfKind("Role"))
            .Select(r => $"{r["kind"]}/{r["metadata"]!["namespace"]}/{r["metadata"]!["name"]}").ToHashSet();
        var bindings = chart.OfKind("ClusterRoleBinding").Concat(chart.OfKind("RoleBinding")).ToList();
        var bound = bindings.Select(b =>
        {
            var roleRef = b["roleRef"]!;
            var ns = (string)roleRef["kind"]! == "Role" ? (string?)b["metadata"]!["namespace"] : null;
            b["subjects"]!.AsArray().Should().ContainSingle().Which!.ToJsonString().Should().Be(
                new JsonObject { ["kind"] = "ServiceAccount", ["name"] = serviceAccount, ["namespace"] = Helm.ReleaseNamespace }.ToJsonString(), name);
            return $"{roleRef["kind"]}/{ns}/{roleRef["name"]}";
        }).ToList();
        bound.Should().BeEquivalentTo(roles, $"{name}: each role has exactly one binding and each binding a role of the chart");
    }
}
