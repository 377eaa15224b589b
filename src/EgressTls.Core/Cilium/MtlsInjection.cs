using System.Text.Json.Nodes;
using EgressTls.Core.Model;
using EgressTls.Core.Rendering;

namespace EgressTls.Core.Cilium;

/// <summary>
/// Client-certificate injection (seed 001): the application speaks plain HTTP to the destination, the
/// policy redirects that port to a listener of the profile's CiliumEnvoyConfig, whose cluster originates
/// TLS with the client certificate. CNP <c>originatingTLS</c> cannot present a client certificate in SDS
/// mode (Cilium #45632, cilium-facts 2.5), so a CEC listener is the only way.
/// </summary>
internal static class MtlsInjection
{
    private const string ListenerType = "type.googleapis.com/envoy.config.listener.v3.Listener";
    private const string ClusterType = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    private const string TcpProxyType = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";
    private const string UpstreamTlsType = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";
    private const string ConnectTimeout = "10s";

    /// <summary>Adds the Secrets and the envoy config to <paramref name="objects"/>; returns the egress rules
    /// (one per destination) and whether any uses <c>toFQDNs</c>.</summary>
    public static (List<JsonObject> Rules, bool UsesFqdn) Build(
        EgressProfile profile, RenderOptions options, List<GeneratedObject> objects, List<string> warnings)
    {
        var target = options.Cilium;
        var envoyNs = target.EnvoySecretsNamespace;
        var clusterwide = target.ClusterwideEnvoyConfig;
        var kind = clusterwide ? CiliumManifests.ClusterwideEnvoyConfigKind : CiliumManifests.EnvoyConfigKind;
        var configName = CiliumNames.EnvoyConfig(profile, clusterwide);
        var resources = new JsonArray();
        var rules = new List<JsonObject>();
        var usesFqdn = false;

        foreach (var mtls in profile.Mtls.Distinct().OrderBy(m => m.Destination))
        {
            var destination = mtls.Destination;

            // CEC secrets are not copied by anyone: they must live in the envoy secrets namespace and be
            // referenced as <ns>/<name> (names with a '/' are passed through, cilium-facts 0.3, 4.3).
            var clientCopy = CiliumNames.ClientCertCopy(profile.Namespace, mtls.ClientCertSecret);
            objects.Add(new GeneratedObject(
                CiliumManifests.Secret(clientCopy, envoyNs, CiliumManifests.TlsSecretType, CiliumManifests.Labels(null, SourceLabel(profile, envoyNs))),
                new CopiedSecretContent(profile.Namespace, mtls.ClientCertSecret, ["tls.crt", "tls.key"])));

            string? caName = null;
            if (mtls.VerifyServer)
            {
                // A separate CA-only Secret: one Secret is one SDS secret, typed by its keys (cilium-facts 0.4).
                if (mtls.ServerCaSecret is { } caSource)
                {
                    caName = CiliumNames.ServerCaCopy(profile.Namespace, caSource);
                    objects.Add(new GeneratedObject(
                        CiliumManifests.Secret(caName, envoyNs, CiliumManifests.OpaqueSecretType, CiliumManifests.Labels(null, SourceLabel(profile, envoyNs))),
                        new CaOnlyContent(profile.Namespace, caSource)));
                }
                else
                {
                    caName = CiliumNames.PublicRoots;
                    objects.Add(CiliumManifests.PublicRootsSecret(envoyNs));
                }
            }
            else
            {
                warnings.Add($"{Naming.Prefix}mtls: the server certificate of {destination} is NOT verified (verify=false): Envoy presents the client certificate to whatever answers at that address");
            }

            var listener = CiliumNames.Listener(destination);
            var cluster = CiliumNames.Cluster(destination);
            var ip = IpLiteral.Parse(destination.Host);
            resources.Add(Listener(listener, cluster));
            resources.Add(Cluster(cluster, destination, ip, mtls.Sni, $"{envoyNs}/{clientCopy}", caName is null ? null : $"{envoyNs}/{caName}", target.SupportsCombinedValidationContext));
            if (caName is not null && !target.SupportsCombinedValidationContext)
            {
                warnings.Add($"{Naming.Prefix}mtls: on Cilium {target.Version} Envoy verifies the certificate chain of {destination} but not the name it was issued for (server-name pinning needs combined_validation_context, Cilium 1.17+, PR #34449); use a ca= that issues only this server's certificate");
            }

            // listener with an explicit kind and without priority, and no rules (cilium-facts 0.1, 1.4).
            var portRule = new JsonObject
            {
                ["ports"] = CiliumManifests.Ports(destination.Port, "TCP"),
                ["listener"] = new JsonObject
                {
                    ["envoyConfig"] = new JsonObject { ["kind"] = kind, ["name"] = configName },
                    ["name"] = listener,
                },
            };

            JsonObject rule;
            if (ip is not null)
            {
                rule = new JsonObject { ["toCIDR"] = new JsonArray(IpLiteral.HostCidr(ip)) };
            }
            else
            {
                usesFqdn = true;
                rule = new JsonObject { ["toFQDNs"] = InterceptionRules.Fqdns([destination.Host]) };
            }

            rule["toPorts"] = new JsonArray(portRule);
            rules.Add(rule);
        }

        // Cilium redirects by destination identity and port (cilium-facts 3): DNS names on one port that
        // resolve to one address (a shared load balancer, a CDN) select the same identity, and all their
        // connections reach one of the listeners, which sends its own client certificate and SNI. On 1.18 an
        // intercepted name on that port may share the address too, and the HTTP parser (priority 101) wins over
        // the listener (126, PR #37887): the plain HTTP meant for the listener reaches the TLS interception.
        var intercepted = profile.Intercept?.Hosts ?? [];
        foreach (var port in profile.Mtls.Select(m => m.Destination).Distinct()
            .Where(d => IpLiteral.Parse(d.Host) is null).GroupBy(d => d.Port).OrderBy(g => g.Key))
        {
            var interceptedOnPort = intercepted.Where(h => h.Port == port.Key).Select(h => h.Host).ToList();
            if (port.Count() > 1)
            {
                warnings.Add($"{Naming.Prefix}mtls: {string.Join(", ", port.Order())} share port {port.Key}: Cilium redirects by destination address and port, so if these names resolve to a common address (a shared load balancer or CDN), the connections to it reach one of their listeners and get that destination's client certificate and SNI; give such destinations different ports or separate pods");
            }

            if (interceptedOnPort.Count > 0)
            {
                warnings.Add($"{Naming.Prefix}mtls: {string.Join(", ", port.Order())} share port {port.Key} with the intercepted {string.Join(", ", interceptedOnPort)}: if a name of each resolves to a common address (a shared load balancer or CDN), Cilium sends the connections to it to the TLS interception, which takes precedence over the listener, and the application's plain HTTP fails there; give such destinations different ports or separate pods");
            }
        }

        objects.Add(new GeneratedObject(new JsonObject
        {
            ["apiVersion"] = CiliumManifests.CiliumApiVersion,
            ["kind"] = kind,
            ["metadata"] = CiliumManifests.ProfileMetadata(profile, configName, namespaced: !clusterwide),
            ["spec"] = new JsonObject { ["resources"] = resources },
        }));

        return (rules, usesFqdn);
    }

    private static string? SourceLabel(EgressProfile profile, string ns) => ns == profile.Namespace ? null : profile.Namespace;

    /// <summary>
    /// A listener WITHOUT address: only then does Cilium allocate the proxy port a CNP redirect points at
    /// and inject bpf_metadata and its network filter (cilium-facts 0.5, 4.4).
    /// </summary>
    private static JsonObject Listener(string name, string cluster) => new()
    {
        ["@type"] = ListenerType,
        ["name"] = name,
        ["filter_chains"] = new JsonArray(new JsonObject
        {
            ["filters"] = new JsonArray(new JsonObject
            {
                ["name"] = "envoy.filters.network.tcp_proxy",
                ["typed_config"] = new JsonObject
                {
                    ["@type"] = TcpProxyType,
                    ["stat_prefix"] = name,
                    ["cluster"] = cluster,
                },
            }),
        }),
    };

    /// <summary>
    /// IP destinations: STATIC with the address, exactly as the lab's CCEC. DNS destinations:
    /// ORIGINAL_DST (lb_policy CLUSTER_PROVIDED), connecting to the IP:port the pod connected to, which
    /// Cilium's bpf_metadata restores after the TPROXY redirect; Cilium's own egress clusters work the same
    /// way (cilium-facts 4.4, 4.5). STRICT_DNS was rejected: Envoy runs in the host network, where
    /// cluster-internal names may not resolve, and it could pick an address other than the one the
    /// toFQDNs policy allowed. The port stays the original one, which is the server's TLS port in this
    /// model (the application speaks plain HTTP to host:port, as in the lab).
    /// </summary>
    private static JsonObject Cluster(
        string name, HostPort destination, System.Net.IPAddress? ip, string? sni, string clientSecret, string? caSecret, bool pinServerName)
    {
        var cluster = new JsonObject
        {
            ["@type"] = ClusterType,
            ["name"] = name,
            ["connect_timeout"] = ConnectTimeout,
        };

        if (ip is not null)
        {
            cluster["type"] = "STATIC";
            cluster["load_assignment"] = new JsonObject
            {
                ["cluster_name"] = name,
                ["endpoints"] = new JsonArray(new JsonObject
                {
                    ["lb_endpoints"] = new JsonArray(new JsonObject
                    {
                        ["endpoint"] = new JsonObject
                        {
                            ["address"] = new JsonObject
                            {
                                ["socket_address"] = new JsonObject
                                {
                                    ["address"] = ip.ToString(),
                                    ["port_value"] = destination.Port,
                                },
                            },
                        },
                    }),
                }),
            };
        }
        else
        {
            cluster["type"] = "ORIGINAL_DST";
            cluster["lb_policy"] = "CLUSTER_PROVIDED";
        }

        var common = new JsonObject
        {
            ["alpn_protocols"] = new JsonArray("http/1.1"),
            ["tls_certificate_sds_secret_configs"] = new JsonArray(new JsonObject { ["name"] = clientSecret }),
        };
        // SNI: the explicit one, else the DNS name; an IP destination without one sends none (an IP is not a
        // valid SNI, RFC 6066 section 3).
        var serverName = sni ?? (ip is null ? destination.Host : null);

        if (caSecret is not null && pinServerName)
        {
            // A validation context from SDS alone checks the chain only: Envoy verifies the peer's name
            // only against match_typed_subject_alt_names, so without it any certificate from a trusted CA
            // (e.g. any public one) would be accepted. The CA comes by SDS, the name pin inline.
            common["combined_validation_context"] = new JsonObject
            {
                ["default_validation_context"] = new JsonObject
                {
                    ["match_typed_subject_alt_names"] = new JsonArray(new JsonObject
                    {
                        ["san_type"] = serverName is null ? "IP_ADDRESS" : "DNS",
                        ["matcher"] = new JsonObject { ["exact"] = serverName ?? ip!.ToString() },
                    }),
                },
                ["validation_context_sds_secret_config"] = new JsonObject { ["name"] = caSecret },
            };
        }
        else if (caSecret is not null)
        {
            common["validation_context_sds_secret_config"] = new JsonObject { ["name"] = caSecret };
        }

        var tls = new JsonObject { ["@type"] = UpstreamTlsType };
        if (serverName is not null)
        {
            tls["sni"] = serverName;
        }

        tls["common_tls_context"] = common;
        cluster["transport_socket"] = new JsonObject
        {
            ["name"] = "envoy.transport_sockets.tls",
            ["typed_config"] = tls,
        };
        return cluster;
    }
}
