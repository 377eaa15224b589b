#!/usr/bin/env bash
# End-to-end test of egress-tls on a kind cluster with Cilium, for a machine with Docker.
#
# Usage: tests/e2e/run.sh [options]
#   --name NAME                kind cluster name (env E2E_CLUSTER_NAME, default egress-tls-e2e)
#   --cilium-version V         1.16, 1.17 or 1.18 (latest patch of that minor from the Cilium Helm
#                              repository) or an exact version such as 1.18.4
#                              (env CILIUM_VERSION, default 1.18)
#   --secrets-mode MODE        egress-tls cilium.secretsMode: auto, sds or inline
#                              (env E2E_SECRETS_MODE, default sds for 1.17+, inline for 1.16)
#   --kube-proxy-replacement   kind without kube-proxy, Cilium kubeProxyReplacement=true
#                              (env E2E_KUBE_PROXY_REPLACEMENT=true; default: keep kube-proxy)
#   --image REF                egress-tls image repo:tag (env E2E_IMAGE, default egress-tls:e2e)
#   --skip-build               do not build the image: use REF as it is (loaded into kind when it
#                              is present locally, otherwise pulled by the node) (env E2E_SKIP_BUILD=true)
#   --intercept-host HOST      public HTTPS host of the interception scenario
#                              (env E2E_INTERCEPT_HOST, default www.example.com)
#   --reuse-cluster            use an existing kind cluster of that name (never deleted at the end)
#                              (env E2E_REUSE_CLUSTER=true)
#   --keep-cluster             keep the cluster, the backend container and the work directory
#                              (env E2E_KEEP_CLUSTER=true)
#   -h, --help
# Other environment: CILIUM_CHART (a local Cilium chart directory or .tgz instead of the Helm
# repository), KIND_NODE_IMAGE (kind node image), E2E_CURL_IMAGE, E2E_BACKEND_IMAGE,
# E2E_TIMEOUT (seconds per wait, default 300), E2E_ARTIFACTS_DIR (also write the failure
# diagnostics there), KIND_EXPERIMENTAL_DOCKER_NETWORK (kind's Docker network, default kind).
#
# Steps: preflight; build the image; kind cluster without its default CNI (kind-config.yaml);
# Cilium via Helm (cilium-values*.yaml); egress-tls via its chart; the mTLS backend of the mTLS lab
# (certs-scripts: lab PKI, HAProxy requiring a client certificate, echo server) in a container on
# kind's Docker network; scenario 1, mTLS injection (plain HTTP from an annotated pod reaches the mTLS backend
# with the injected client certificate); scenario 2, TLS interception (intercepted HTTPS allowed or refused by the
# HTTP rule, the pod trusting the presented certificate). On failure it dumps diagnostics; at the
# end it deletes what it created unless --keep-cluster. The cluster's kubeconfig is a file in the
# work directory: the user's kubeconfig is never changed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

cluster="${E2E_CLUSTER_NAME:-egress-tls-e2e}"
cilium_version="${CILIUM_VERSION:-1.18}"
cilium_chart="${CILIUM_CHART:-}"
secrets_mode="${E2E_SECRETS_MODE:-}"
kpr="${E2E_KUBE_PROXY_REPLACEMENT:-false}"
image="${E2E_IMAGE:-egress-tls:e2e}"
skip_build="${E2E_SKIP_BUILD:-false}"
intercept_host="${E2E_INTERCEPT_HOST:-www.example.com}"
reuse="${E2E_REUSE_CLUSTER:-false}"
keep="${E2E_KEEP_CLUSTER:-false}"
curl_image="${E2E_CURL_IMAGE:-curlimages/curl:8.11.1}"
backend_image="${E2E_BACKEND_IMAGE:-debian:bookworm-slim}"
node_image="${KIND_NODE_IMAGE:-}"
kind_network="${KIND_EXPERIMENTAL_DOCKER_NETWORK:-kind}"
wait_secs="${E2E_TIMEOUT:-300}"
artifacts="${E2E_ARTIFACTS_DIR:-}"


# Fixed by the scenarios (manifests/).
readonly release=egress-tls release_ns=egress-tls
readonly backend_port=8083
readonly client_cn=egress-tls-e2e-client
readonly trust_dir=/etc/egress-tls/trust          # chart value trustBundle.mountPath (default)
readonly trust_bundle=egress-tls-trust-bundle     # chart value trustBundle.name (default)
readonly cilium_repo=https://helm.cilium.io
backend=""                                        # container name, from the cluster name

# State for the exit trap.
work=""
created_cluster=false
backend_started=false
diagnose=false
backend_ip=""
cilium_minor=""
cilium_chart_version=""
passes=0

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; passes=$((passes + 1)); }
die() { printf 'e2e: %s\n' "$*" >&2; exit 1; }
fail() { printf '    FAIL: %s\n' "$*" >&2; exit 1; }

oneline() { tr '\n' ' ' <<<"$1" | sed 's/ *$//'; }

is_bool() { [ "$1" = true ] || [ "$1" = false ]; }

# retry SECONDS WHAT COMMAND...: runs COMMAND (quietly) every 3 s until it succeeds; on timeout
# shows the last attempt's output.
retry() {
  local secs=$1 what=$2 deadline log="$work/retry.log"
  shift 2
  deadline=$((SECONDS + secs))
  until "$@" >"$log" 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf '    timed out after %s s waiting for %s; last attempt:\n' "$secs" "$what" >&2
      tail -n 5 "$log" | sed 's/^/      /' >&2
      return 1
    fi
    sleep 3
  done
}

# ---------------------------------------------------------------------------------------------
# 1. Preflight

check_options() {
  local b
  for b in "$kpr" "$skip_build" "$reuse" "$keep"; do
    is_bool "$b" || die "boolean options take true or false, got \"$b\""
  done
  [[ "$cluster" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "cluster name \"$cluster\" must be lower-case letters, digits and '-'"
  backend="${cluster}-mtls-backend"
  # Substituted into YAML by sed: only plain host names and image references.
  [[ "$intercept_host" =~ ^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)+$ ]] ||
    die "--intercept-host \"$intercept_host\" is not a DNS name"
  [[ "$image" =~ ^[A-Za-z0-9][A-Za-z0-9._/:-]*$ ]] || die "--image \"$image\" must be repo[:tag] (no digest)"
  [[ "$curl_image" =~ ^[A-Za-z0-9][A-Za-z0-9._/:@-]*$ ]] || die "E2E_CURL_IMAGE \"$curl_image\" is not an image reference"
  [[ "$wait_secs" =~ ^[0-9]+$ ]] || die "E2E_TIMEOUT must be a number of seconds"
  case "${secrets_mode:-default}" in
    default|auto|sds|inline) ;;
    *) die "--secrets-mode must be auto, sds or inline, got \"$secrets_mode\"" ;;
  esac
}

missing_tools=0
need() { # TOOL HINT
  if ! command -v "$1" >/dev/null 2>&1; then
    printf 'e2e: %s not found: %s\n' "$1" "$2" >&2
    missing_tools=1
  fi
}

preflight() {
  step "Preflight"
  need docker "install Docker Engine or Docker Desktop (https://docs.docker.com/engine/install/)"
  need kind "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
  need kubectl "install kubectl (https://kubernetes.io/docs/tasks/tools/)"
  need helm "install Helm 3 or 4 (https://helm.sh/docs/intro/install/)"
  need sed "a POSIX sed is required"
  need awk "a POSIX awk is required"
  need grep "grep is required"
  [ "$missing_tools" -eq 0 ] || exit 1
  docker info >/dev/null 2>&1 ||
    die "the Docker engine is not reachable (docker info failed): start Docker, or set DOCKER_HOST, or add your user to the docker group"
  info "docker $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'), $(kind version 2>/dev/null || echo 'kind ?')"
  info "helm $(helm version --short 2>/dev/null || echo '?'), kubectl $(kubectl version --client 2>/dev/null | awk 'NR==1{print $3}')"
  if command -v cilium >/dev/null 2>&1; then
    info "cilium CLI found: also used for 'cilium status --wait'"
  else
    info "no cilium CLI: waiting for Cilium with kubectl rollout status (the CLI is optional)"
  fi
  for f in certs-scripts/make-pki.sh certs-scripts/mtls-backend.sh certs-scripts/echo-server.py Dockerfile charts/egress-tls/Chart.yaml; do
    [ -f "$repo/$f" ] || die "$repo/$f is missing: run the script from a complete checkout"
  done
}

# Cilium chart and minor version: 1.16 / 1.17 / 1.18 picks the latest patch release of that minor.
resolve_cilium() {
  step "Cilium chart"
  local v=${cilium_version#v} patch
  if [ -n "$cilium_chart" ]; then
    [ -e "$cilium_chart" ] || die "CILIUM_CHART=$cilium_chart does not exist"
    cilium_chart_version=$(helm show chart "$cilium_chart" | awk '/^version:/{print $2; exit}')
    v=$cilium_chart_version
  fi
  [[ "$v" =~ ^(1\.(16|17|18))(\.[0-9]+.*)?$ ]] ||
    die "Cilium $v is not supported by this test: use 1.16, 1.17 or 1.18 (optionally with a patch, e.g. 1.18.4)"
  cilium_minor=${BASH_REMATCH[1]}
  patch=${BASH_REMATCH[3]}
  if [ -z "$cilium_chart" ]; then
    if [ -z "$patch" ]; then
      cilium_chart_version=$(helm show chart cilium --repo "$cilium_repo" --version "~${cilium_minor}.0" 2>/dev/null |
        awk '/^version:/{print $2; exit}') || true
      [ -n "$cilium_chart_version" ] ||
        die "could not find a Cilium ${cilium_minor}.x chart in $cilium_repo (network access, or pass an exact --cilium-version / CILIUM_CHART)"
    else
      cilium_chart_version=$v
    fi
    [[ "$cilium_chart_version" == "$cilium_minor".* ]] ||
      die "the Cilium chart found for $cilium_minor is $cilium_chart_version"
    info "Cilium $cilium_chart_version from $cilium_repo"
  else
    info "Cilium $cilium_chart_version from $cilium_chart"
  fi
  if [ -z "$secrets_mode" ]; then
    # cilium-facts 2.1: policy secret sync (SDS) exists from 1.17; 1.16 reads Secrets inline from
    # the secrets namespace.
    if [ "$cilium_minor" = 1.16 ]; then secrets_mode=inline; else secrets_mode=sds; fi
  fi
  [ "$cilium_minor" != 1.16 ] || [ "$secrets_mode" != sds ] ||
    die "--secrets-mode sds needs Cilium 1.17+ (policy secret sync does not exist in 1.16)"
  info "egress-tls: cilium.version=$cilium_minor cilium.secretsMode=$secrets_mode"
}

# ---------------------------------------------------------------------------------------------
# Image

image_repo() { # repo part of repo[:tag] (a registry port is not a tag)
  local tail=${image##*/}
  if [[ "$tail" == *:* ]]; then printf '%s' "${image%:*}"; else printf '%s' "$image"; fi
}
image_tag() {
  local tail=${image##*/}
  if [[ "$tail" == *:* ]]; then printf '%s' "${tail##*:}"; else printf 'latest'; fi
}

build_image() {
  if [ "$skip_build" = true ]; then
    step "Image $image (--skip-build)"
    return
  fi
  step "Build $image from $repo/Dockerfile"
  docker build -t "$image" "$repo" || die "docker build of $repo/Dockerfile failed"
}

load_image() {
  step "Load $image into kind"
  if docker image inspect "$image" >/dev/null 2>&1; then
    kind load docker-image "$image" --name "$cluster"
  else
    info "$image is not a local image: the node pulls it"
  fi
}

# ---------------------------------------------------------------------------------------------
# 2. kind cluster

cluster_exists() {
  local clusters
  clusters=$(kind get clusters 2>/dev/null || true)
  grep -qx "$cluster" <<<"$clusters"
}

# Before the (long) image build: an existing cluster is only used when asked for.
check_cluster_name() {
  if cluster_exists && [ "$reuse" != true ]; then
    die "kind cluster $cluster already exists: delete it (kind delete cluster --name $cluster), pass --reuse-cluster, or choose another --name"
  fi
}

create_cluster() {
  step "kind cluster $cluster"
  export KUBECONFIG="$work/kubeconfig"
  if cluster_exists; then
    [ "$reuse" = true ] || die "kind cluster $cluster appeared while the image was built"
    info "reusing the existing cluster (it is not deleted at the end)"
    kind get kubeconfig --name "$cluster" >"$KUBECONFIG"
  else
    local config="$work/kind-config.yaml" args
    if [ "$kpr" = true ]; then
      # Cilium replaces kube-proxy: kind must not install it.
      sed 's/^\(  kubeProxyMode:\) iptables$/\1 none/' "$here/kind-config.yaml" >"$config"
      grep -q '^  kubeProxyMode: none$' "$config" || die "could not switch kind-config.yaml to kubeProxyMode none"
    else
      cp "$here/kind-config.yaml" "$config"
    fi
    args=(create cluster --name "$cluster" --config "$config" --kubeconfig "$KUBECONFIG")
    [ -z "$node_image" ] || args+=(--image "$node_image")
    created_cluster=true
    # No --wait: without a CNI the node only becomes Ready once Cilium runs.
    kind "${args[@]}" || fail "kind could not create cluster $cluster"
  fi
  diagnose=true
  kubectl cluster-info >/dev/null || die "the cluster's API server does not answer (KUBECONFIG=$KUBECONFIG)"
}

# ---------------------------------------------------------------------------------------------
# 3. Cilium

cilium_config() { # kube-system/cilium-config as key=value lines
  # shellcheck disable=SC2016 # a Go template, not a shell expansion
  kubectl -n kube-system get configmap cilium-config \
    -o go-template='{{range $k, $v := .data}}{{$k}}={{$v}}{{"\n"}}{{end}}'
}

install_cilium() {
  step "Cilium $cilium_chart_version (Helm)"
  local chart=(cilium --repo "$cilium_repo" --version "$cilium_chart_version")
  [ -z "$cilium_chart" ] || chart=("$cilium_chart")
  local values=(-f "$here/cilium-values.yaml")
  if [ "$cilium_minor" = 1.16 ]; then
    values+=(-f "$here/cilium-values-1.16.yaml")
  else
    values+=(-f "$here/cilium-values-1.17.yaml")
  fi
  if [ "$kpr" = true ]; then
    # Without kube-proxy the agent reaches the API server directly: the control-plane node's
    # name on kind's Docker network (the Cilium kind guide).
    values+=(--set-string kubeProxyReplacement=true
      --set-string "k8sServiceHost=${cluster}-control-plane" --set k8sServicePort=6443)
  fi
  helm upgrade --install cilium "${chart[@]}" --namespace kube-system "${values[@]}" ||
    fail "helm could not install Cilium $cilium_chart_version"

  info "waiting for the agent, the operator and Envoy"
  kubectl -n kube-system rollout status daemonset/cilium --timeout="${wait_secs}s"
  kubectl -n kube-system rollout status deployment/cilium-operator --timeout="${wait_secs}s"
  # 1.16+ runs Envoy in its own DaemonSet by default (cilium-facts 3).
  if kubectl -n kube-system get daemonset cilium-envoy >/dev/null 2>&1; then
    kubectl -n kube-system rollout status daemonset/cilium-envoy --timeout="${wait_secs}s"
  fi
  if command -v cilium >/dev/null 2>&1; then
    cilium status --wait --wait-duration "${wait_secs}s"
  fi
  kubectl wait --for=condition=Ready nodes --all --timeout="${wait_secs}s"
  kubectl -n kube-system rollout status deployment/coredns --timeout="${wait_secs}s"
  # The operator registers the CRDs; egress-tls creates CiliumEnvoyConfigs and policies.
  retry "$wait_secs" "the Cilium CRDs" kubectl get crd ciliumenvoyconfigs.cilium.io ciliumnetworkpolicies.cilium.io ||
    fail "the CiliumEnvoyConfig/CiliumNetworkPolicy CRDs were not registered (is envoyConfig.enabled in effect?)"
  kubectl wait --for=condition=Established crd/ciliumenvoyconfigs.cilium.io crd/ciliumnetworkpolicies.cilium.io --timeout=60s
  kubectl get namespace cilium-secrets >/dev/null ||
    fail "namespace cilium-secrets is missing (envoyConfig.secretsNamespace.create)"
  local config
  config=$(cilium_config)
  info "cilium-config:"
  local keys='enable-envoy-config|envoy-secrets-namespace|enable-l7-proxy|kube-proxy-replacement'
  keys+='|enable-policy-secrets-sync|policy-secrets-namespace|policy-secrets-only-from-secrets-namespace'
  keys+='|enable-non-default-deny-policies'
  grep -E "^($keys)=" <<<"$config" | sed 's/^/      /' || true
  grep -qx 'enable-envoy-config=true' <<<"$config" || fail "cilium-config has no enable-envoy-config=true"
  ok "Cilium $cilium_chart_version is ready with CiliumEnvoyConfig support"
}

# ---------------------------------------------------------------------------------------------
# 4. egress-tls

webhook_ca_bundles_set() {
  local out
  out=$(kubectl get mutatingwebhookconfiguration "$release" \
    -o jsonpath='{range .webhooks[*]}{.name}={.clientConfig.caBundle}{"\n"}{end}') || return 1
  [ -n "$out" ] && ! grep -q '=$' <<<"$out"
}

install_egress_tls() {
  step "egress-tls (chart charts/egress-tls, image $image)"
  helm upgrade --install "$release" "$repo/charts/egress-tls" --namespace "$release_ns" --create-namespace \
    -f "$here/egress-tls-values.yaml" \
    --set-string "image.repository=$(image_repo)" --set-string "image.tag=$(image_tag)" \
    --set-string "cilium.version=$cilium_minor" --set-string "cilium.secretsMode=$secrets_mode" ||
    fail "helm could not install charts/egress-tls"
  if [ "$created_cluster" = false ]; then
    # --reuse-cluster: a rebuilt image keeps its tag, so the running pods would keep the old one.
    kubectl -n "$release_ns" rollout restart "deployment/$release"
  fi
  kubectl -n "$release_ns" rollout status "deployment/$release" --timeout="${wait_secs}s"
  ok "deployment $release_ns/$release is available"
  # Self-managed serving certificate: egress-tls writes the caBundle of every webhook itself.
  retry "$wait_secs" "the webhook caBundle" webhook_ca_bundles_set ||
    fail "egress-tls did not write the caBundle of MutatingWebhookConfiguration $release"
  ok "MutatingWebhookConfiguration $release has its caBundle (self-managed serving certificate)"
}

# ---------------------------------------------------------------------------------------------
# 5. mTLS backend of scenario 1 (certs-scripts), on kind's Docker network

in_backend() { docker exec "$backend" "$@"; }
in_backend_stdin() { docker exec -i "$backend" "$@"; }

start_backend() {
  step "mTLS backend container $backend on Docker network $kind_network"
  docker rm -f "$backend" >/dev/null 2>&1 || true
  backend_started=true
  docker run -d --name "$backend" --network "$kind_network" --label "egress-tls-e2e=$cluster" \
    "$backend_image" sleep infinity >/dev/null ||
    fail "could not start $backend_image on Docker network $kind_network"
  # Copied rather than bind-mounted: works with remote Docker hosts and Docker Desktop alike.
  docker cp "$repo/certs-scripts" "$backend:/opt/certs-scripts"
  info "installing haproxy, python3, openssl and curl in the container"
  in_backend sh -c 'export DEBIAN_FRONTEND=noninteractive;
    apt-get update -qq >/dev/null &&
    apt-get install -y -qq --no-install-recommends haproxy python3 openssl curl ca-certificates >/dev/null' ||
    fail "could not install the backend's packages (network access to the Debian mirrors?)"
  backend_ip=$(docker inspect -f "{{with index .NetworkSettings.Networks \"$kind_network\"}}{{.IPAddress}}{{end}}" "$backend")
  [[ "$backend_ip" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    fail "no IPv4 address for $backend on network $kind_network (got \"$backend_ip\")"
  info "backend address $backend_ip:$backend_port"
  # The server certificate carries the IP the pods use as a SAN.
  in_backend bash /opt/certs-scripts/make-pki.sh /pki --server-ip "$backend_ip" --server-name mtls-backend \
    --client-cn "$client_cn" || fail "certs-scripts/make-pki.sh failed in $backend"
  in_backend bash /opt/certs-scripts/mtls-backend.sh start --pki /pki --bind 0.0.0.0 --port "$backend_port" ||
    fail "certs-scripts/mtls-backend.sh start failed in $backend"

  # The backend alone, from inside its container: a client certificate is required and accepted.
  local out rc=0
  out=$(in_backend curl -sS --max-time 10 --cacert /pki/ca.crt --cert /pki/client.crt --key /pki/client.key \
    "https://$backend_ip:$backend_port/self-test") || fail "the backend refused the lab client certificate"
  grep -q "\"X-Ssl-Client-Cn\": .*$client_cn" <<<"$out" || fail "the backend did not echo the client certificate: $out"
  in_backend curl -sS --max-time 10 --cacert /pki/ca.crt "https://$backend_ip:$backend_port/" >/dev/null 2>&1 || rc=$?
  [ "$rc" -ne 0 ] || fail "the backend answered a request without a client certificate"
  ok "backend requires a client certificate (none: curl exit $rc; lab certificate: echoed CN $client_cn)"

  # What the cluster needs: the client certificate and key (Secret tls-client-cert) and the lab
  # root CA (Secret backend-ca) to verify the backend.
  mkdir -p "$work/pki"
  local f
  for f in client.crt client.key ca.crt; do
    in_backend cat "/pki/$f" >"$work/pki/$f"
  done
}

# ---------------------------------------------------------------------------------------------
# Manifests: tests/e2e/manifests/*.yaml with __NAME__ placeholders substituted here.

sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

render() { # FILE -> stdout
  local out
  out=$(sed \
    -e "s|__BACKEND_IP__|$(sed_escape "$backend_ip")|g" \
    -e "s|__BACKEND_PORT__|$(sed_escape "$backend_port")|g" \
    -e "s|__CURL_IMAGE__|$(sed_escape "$curl_image")|g" \
    -e "s|__INTERCEPT_HOST__|$(sed_escape "$intercept_host")|g" \
    "$here/manifests/$1")
  if grep -qE '__[A-Z_]+__' <<<"$out"; then
    die "manifests/$1 has a placeholder run.sh does not substitute: $(grep -oE '__[A-Z_]+__' <<<"$out" | sort -u | tr '\n' ' ')"
  fi
  printf '%s\n' "$out"
}

# Pods go through the webhook (failurePolicy Fail): retry while a replica may still be starting.
apply_manifest() { # FILE
  local i rendered="$work/$1"
  render "$1" >"$rendered"
  for i in 1 2 3 4 5; do
    if kubectl apply -f "$rendered"; then return 0; fi
    info "applying manifests/$1 failed (attempt $i of 5); retrying in 5 s"
    sleep 5
  done
  fail "could not apply manifests/$1 (see the admission error above)"
}

fresh_namespace() { # NAME: deletes what an earlier run (--reuse-cluster) left
  kubectl delete namespace "$1" --ignore-not-found --wait=true --timeout="${wait_secs}s" >/dev/null
}

pod_profile() { # NS POD
  kubectl -n "$1" get pod "$2" -o jsonpath='{.metadata.labels.egress-tls\.io/profile}'
}

# has_objects NS RESOURCES SELECTOR PATTERN...: `kubectl get -o name` lists a match for every
# PATTERN (into $found). Retried: egress-tls may apply generated objects after admission.
found=""
has_objects() {
  local ns=$1 resources=$2 selector=$3 p
  shift 3
  found=$(kubectl -n "$ns" get "$resources" -l "$selector" -o name) || return 1
  for p in "$@"; do
    grep -q "$p" <<<"$found" || { printf 'found: %s (nothing matches %s)\n' "$(oneline "$found")" "$p"; return 1; }
  done
}

in_pod() { # NS POD COMMAND...
  local ns=$1 pod=$2
  shift 2
  kubectl -n "$ns" exec "$pod" -c curl -- "$@"
}

# ---------------------------------------------------------------------------------------------
# 6. Scenario 1: mTLS client-certificate injection (the mTLS lab)

mtls_out=""
mtls_reaches_backend() {
  mtls_out=$(in_pod mtls-inject curl curl -sS --max-time 10 "http://$backend_ip:$backend_port/e2e-mtls") || return 1
  grep -q "\"X-Ssl-Client-Cn\": .*$client_cn" <<<"$mtls_out"
}

scenario_001() {
  step "Scenario 1: plain HTTP from a pod, client certificate injected by Envoy"
  fresh_namespace mtls-inject
  apply_manifest mtls-inject-namespace.yaml
  kubectl -n mtls-inject create secret tls tls-client-cert --cert="$work/pki/client.crt" --key="$work/pki/client.key"
  kubectl -n mtls-inject create secret generic backend-ca --from-file=ca.crt="$work/pki/ca.crt"
  apply_manifest mtls-inject-pods.yaml
  kubectl -n mtls-inject wait --for=condition=Ready pod/curl pod/curl-plain --timeout="${wait_secs}s"

  local profile objs
  profile=$(pod_profile mtls-inject curl)
  [ -n "$profile" ] || fail "pod mtls-inject/curl has no egress-tls.io/profile label: egress-tls did not mutate it"
  ok "pod mtls-inject/curl was mutated (profile $profile)"
  retry 60 "the CiliumNetworkPolicy and CiliumEnvoyConfig of profile $profile" \
    has_objects mtls-inject ciliumnetworkpolicies.cilium.io,ciliumenvoyconfigs.cilium.io "egress-tls.io/profile=$profile" \
    '^ciliumnetworkpolicy' '^ciliumenvoyconfig' ||
    fail "no CiliumNetworkPolicy and CiliumEnvoyConfig for profile $profile in mtls-inject (found: ${found:-nothing})"
  objs=$found
  retry 60 "the client-certificate copies in cilium-secrets" \
    has_objects cilium-secrets secrets egress-tls.io/source-namespace=mtls-inject '^secret/' ||
    fail "no Secret copied from mtls-inject into cilium-secrets"
  ok "generated $(oneline "$objs"), and in cilium-secrets $(oneline "$found")"

  info "kubectl -n mtls-inject exec curl -- curl -sS http://$backend_ip:$backend_port/e2e-mtls"
  retry "$wait_secs" "the backend to echo the injected client certificate" mtls_reaches_backend ||
    fail "plain HTTP from mtls-inject/curl never reached the backend with the client certificate; last answer: ${mtls_out:-<none>}"
  printf '%s\n' "$mtls_out" | sed 's/^/      /'
  grep -q '"X-Ssl": "1"' <<<"$mtls_out" || fail "the backend did not see TLS (X-Ssl)"
  grep -q '"X-Ssl-Client-Verify": "0"' <<<"$mtls_out" || fail "the backend did not verify the client certificate (X-Ssl-Client-Verify)"
  ok "the backend saw TLS with the injected client certificate (CN $client_cn, verify 0)"

  local out rc=0
  out=$(in_pod mtls-inject curl-plain curl -sS --max-time 10 "http://$backend_ip:$backend_port/e2e-plain" 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || fail "the un-annotated pod got an HTTP answer over plain HTTP from the TLS port: $out"
  ! grep -q 'X-Ssl-Client' <<<"$out" || fail "the un-annotated pod's request carried a client certificate"
  ok "un-annotated pod: plain HTTP to the TLS port fails (curl exit $rc: $(tail -n1 <<<"$out"))"
  rc=0
  out=$(in_pod mtls-inject curl-plain curl -sS -k --max-time 10 "https://$backend_ip:$backend_port/e2e-plain" 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || fail "the un-annotated pod got through without a client certificate: $out"
  ok "un-annotated pod: HTTPS without a client certificate is refused (curl exit $rc: $(tail -n1 <<<"$out"))"
}

# ---------------------------------------------------------------------------------------------
# 7. Scenario 2: TLS interception with HTTP rules

intercepted() { # the presented chain verifies against the egress-tls CA alone
  in_pod intercept curl curl -4 -sS -o /dev/null --max-time 15 --cacert "$trust_dir/ca.crt" "https://$intercept_host/allowed"
}

scenario_002() {
  step "Scenario 2: HTTPS to $intercept_host intercepted, HTTP rule GET /allowed.*"
  fresh_namespace intercept
  apply_manifest intercept-namespace.yaml
  apply_manifest intercept-pod.yaml
  kubectl -n intercept wait --for=condition=Ready pod/curl --timeout="${wait_secs}s"

  local profile objs ssl_cert_file mount
  profile=$(pod_profile intercept curl)
  [ -n "$profile" ] || fail "pod intercept/curl has no egress-tls.io/profile label: egress-tls did not mutate it"
  kubectl -n intercept get configmap "$trust_bundle" >/dev/null || fail "no ConfigMap intercept/$trust_bundle"
  ok "pod intercept/curl was mutated (profile $profile, ConfigMap $trust_bundle)"
  retry 60 "the CiliumNetworkPolicy of profile $profile" \
    has_objects intercept ciliumnetworkpolicies.cilium.io "egress-tls.io/profile=$profile" '^ciliumnetworkpolicy' ||
    fail "no CiliumNetworkPolicy for profile $profile in intercept"
  objs=$found
  # Leaf certificates live where the policy's terminatingTLS points: egress-tls' namespace in SDS
  # mode (the Cilium operator copies them), cilium-secrets in inline mode (cilium-facts 2.1).
  local leaf_ns=$release_ns
  if [ "$secrets_mode" = inline ] || { [ "$secrets_mode" = auto ] && [ "$cilium_minor" = 1.16 ]; }; then
    leaf_ns=cilium-secrets
  fi
  retry 60 "a leaf certificate Secret in $leaf_ns" \
    has_objects "$leaf_ns" secrets app.kubernetes.io/managed-by=egress-tls '^secret/egress-tls-leaf-' ||
    fail "no egress-tls-leaf-* Secret in $leaf_ns"
  ok "generated $(oneline "$objs"), leaf $(grep -m1 '^secret/egress-tls-leaf-' <<<"$found") in $leaf_ns"

  info "the pod's egress-tls mounts and environment (kubectl get pod -o yaml | grep egress-tls):"
  kubectl -n intercept get pod curl -o yaml | grep -n 'egress-tls' | sed 's/^/      /' || true
  ssl_cert_file=$(kubectl -n intercept get pod curl -o jsonpath='{.spec.containers[0].env[?(@.name=="SSL_CERT_FILE")].value}')
  [ "$ssl_cert_file" = "$trust_dir/ca-bundle.crt" ] ||
    fail "SSL_CERT_FILE is \"$ssl_cert_file\", expected $trust_dir/ca-bundle.crt"
  mount=$(kubectl -n intercept get pod curl -o jsonpath="{.spec.containers[0].volumeMounts[?(@.mountPath==\"$trust_dir\")].name}")
  [ -n "$mount" ] || fail "no volume mounted at $trust_dir"
  ok "trust bundle mounted at $trust_dir (volume $mount), SSL_CERT_FILE=$ssl_cert_file"

  retry "$wait_secs" "Envoy to present a certificate from the egress-tls CA for $intercept_host" intercepted ||
    fail "https://$intercept_host/allowed never verified against the egress-tls CA alone: not intercepted"
  ok "the certificate presented for $intercept_host verifies against the egress-tls CA alone ($trust_dir/ca.crt)"

  # The same request as the pod's applications make it: no -k, no --cacert; trust comes from the
  # injected environment (CURL_CA_BUNDLE / SSL_CERT_FILE -> $trust_dir/ca-bundle.crt).
  local body verbose rc=0 code issuer ca_cn out
  info "kubectl -n intercept exec curl -- curl -sv https://$intercept_host/allowed"
  body=$(in_pod intercept curl curl -4 -sv --max-time 15 -w '\nhttp_code=%{http_code}\n' \
    "https://$intercept_host/allowed" 2>"$work/allowed.stderr") || rc=$?
  verbose=$(cat "$work/allowed.stderr")
  grep -E '^\* +(subject|issuer|SSL certificate verify|Server certificate)|^< HTTP|^\* +(SSL|TLS)' <<<"$verbose" |
    sed 's/^/      /' || true
  [ "$rc" -eq 0 ] ||
    fail "curl without -k failed (exit $rc): the pod does not trust the presented certificate through its environment: $(tail -n 3 <<<"$verbose")"
  code=$(sed -n 's/^http_code=//p' <<<"$body")
  # Envoy's own refusal is a 403 with the body "Access denied"; any other answer came from upstream.
  if [ "$code" = 000 ] || { [ "$code" = 403 ] && grep -qi 'access denied' <<<"$body"; }; then
    fail "GET /allowed got HTTP $code from Envoy; the HTTP rule should let it through"
  fi
  ok "GET https://$intercept_host/allowed: TLS verified with the pod's default trust, HTTP $code from $intercept_host"

  ca_cn=$(kubectl -n intercept get configmap "$trust_bundle" -o jsonpath='{.data.ca\.crt}' |
    in_backend_stdin openssl x509 -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p' | sed -n 1p) || true
  issuer=$(grep -m1 -iE '^\* +issuer:' <<<"$verbose" || true)
  if [ -z "$issuer" ]; then
    info "curl printed no issuer line; the check against the CA alone above stands"
  elif [ -n "$ca_cn" ] && grep -qF "$ca_cn" <<<"$issuer"; then
    ok "presented certificate issuer is the egress-tls CA (CN $ca_cn)"
  else
    fail "presented certificate issuer \"$issuer\" is not the egress-tls CA (CN \"$ca_cn\")"
  fi

  if in_pod intercept curl test -f /etc/ssl/certs/ca-certificates.crt >/dev/null 2>&1; then
    rc=0
    in_pod intercept curl curl -4 -sS -o /dev/null --max-time 15 --cacert /etc/ssl/certs/ca-certificates.crt \
      "https://$intercept_host/allowed" >/dev/null 2>&1 || rc=$?
    [ "$rc" -ne 0 ] || fail "the presented certificate verifies against the image's public roots alone: not intercepted"
    ok "the presented certificate does not verify against the image's public roots alone (curl exit $rc)"
  fi

  out=$(in_pod intercept curl curl -4 -sS --max-time 15 -w '\nhttp_code=%{http_code}\n' "https://$intercept_host/denied") ||
    fail "GET /denied failed at the TLS or connection level: $out"
  grep -qx 'http_code=403' <<<"$out" || fail "GET /denied: expected 403 from Envoy, got $(grep 'http_code=' <<<"$out")"
  grep -qi 'access denied' <<<"$out" || fail "GET /denied: 403 without Envoy's 'Access denied' body: $out"
  ok "GET https://$intercept_host/denied: 403 Access denied from Envoy (path not allowed)"

  out=$(in_pod intercept curl curl -4 -sS --max-time 15 -X POST -d e2e -w '\nhttp_code=%{http_code}\n' "https://$intercept_host/allowed") ||
    fail "POST /allowed failed at the TLS or connection level: $out"
  grep -qx 'http_code=403' <<<"$out" || fail "POST /allowed: expected 403 from Envoy, got $(grep 'http_code=' <<<"$out")"
  grep -qi 'access denied' <<<"$out" || fail "POST /allowed: 403 without Envoy's 'Access denied' body: $out"
  ok "POST https://$intercept_host/allowed: 403 from Envoy (method not allowed)"

  # other-egress deny: a destination that is neither DNS nor intercepted is dropped (no TLS
  # handshake at all: a timeout, not a TLS error).
  rc=0
  in_pod intercept curl curl -sS -k --connect-timeout 5 --max-time 10 "https://$backend_ip:$backend_port/" >/dev/null 2>&1 || rc=$?
  case "$rc" in
    7|28) ok "other egress is denied ($backend_ip:$backend_port: curl exit $rc, no connection)" ;;
    *) fail "other-egress deny: $backend_ip:$backend_port was reachable (curl exit $rc; expected 28 or 7)" ;;
  esac

  info "Hubble L7 flows of namespace intercept (agent-local):"
  kubectl -n kube-system exec daemonset/cilium -c cilium-agent -- \
    hubble observe --namespace intercept --type l7 --last 10 2>/dev/null | sed 's/^/      /' || true
}

# ---------------------------------------------------------------------------------------------
# 8. Diagnostics on failure, cleanup

section() { printf '\n----- %s\n' "$*"; }

diagnostics() {
  set +e
  printf '\n######## diagnostics (the run failed) ########\n'
  if [ -z "${KUBECONFIG:-}" ] || [ ! -s "$KUBECONFIG" ]; then
    echo "no cluster kubeconfig: nothing to collect"
    return
  fi
  local ns
  section "nodes and pods"
  kubectl get nodes -o wide
  kubectl get pods -A -o wide
  for ns in mtls-inject intercept "$release_ns"; do
    section "events in $ns"
    kubectl -n "$ns" get events --sort-by=.lastTimestamp 2>&1 | tail -n 40
  done
  section "scenario pods"
  kubectl -n mtls-inject get pods -o yaml 2>&1
  kubectl -n intercept get pods -o yaml 2>&1
  section "CiliumNetworkPolicies"
  kubectl get ciliumnetworkpolicies.cilium.io -A -o yaml
  kubectl get ciliumclusterwidenetworkpolicies.cilium.io 2>&1
  section "CiliumEnvoyConfigs"
  kubectl get ciliumenvoyconfigs.cilium.io -A -o yaml
  kubectl get ciliumclusterwideenvoyconfigs.cilium.io -o yaml 2>&1
  for ns in cilium-secrets "$release_ns" mtls-inject intercept; do
    section "Secrets in $ns (names, types, labels; never data)"
    kubectl -n "$ns" get secrets -o custom-columns='NAME:.metadata.name,TYPE:.type,LABELS:.metadata.labels' 2>&1
  done
  section "trust bundle ConfigMaps"
  kubectl get configmaps -A --field-selector "metadata.name=$trust_bundle" 2>&1
  section "MutatingWebhookConfiguration $release (caBundle set?)"
  kubectl get mutatingwebhookconfiguration "$release" \
    -o jsonpath='{range .webhooks[*]}{.name}={.clientConfig.caBundle}{"\n"}{end}' 2>&1 |
    sed -e 's/=..*$/ caBundle set/' -e 's/=$/ caBundle EMPTY/'
  section "egress-tls logs"
  kubectl -n "$release_ns" logs -l app.kubernetes.io/name=egress-tls --all-containers --prefix --tail=400 2>&1
  section "cilium-config (Envoy, L7, secrets)"
  cilium_config 2>&1 | grep -E 'envoy|secret|l7|proxy|default-deny|tls'
  # cilium-facts 6.9: Cilium reports CiliumEnvoyConfig and policy problems only in its logs.
  section "cilium agent errors and warnings"
  kubectl -n kube-system logs -l k8s-app=cilium -c cilium-agent --prefix --tail=5000 2>&1 |
    grep -iE 'level=(error|warn)' | tail -n 200
  section "cilium-envoy errors and warnings"
  kubectl -n kube-system logs -l k8s-app=cilium-envoy --prefix --tail=3000 2>&1 |
    grep -iE '\]\[(warning|error|critical)\]|level=(error|warn)' | tail -n 100
  section "cilium-dbg status and endpoints"
  kubectl -n kube-system exec daemonset/cilium -c cilium-agent -- cilium-dbg status --verbose 2>&1 | tail -n 80
  kubectl -n kube-system exec daemonset/cilium -c cilium-agent -- cilium-dbg endpoint list 2>&1
  section "hubble observe (agent-local)"
  for ns in mtls-inject intercept; do
    kubectl -n kube-system exec daemonset/cilium -c cilium-agent -- hubble observe --namespace "$ns" --last 60 2>&1
  done
  kubectl -n kube-system exec daemonset/cilium -c cilium-agent -- hubble observe --verdict DROPPED --last 40 2>&1
  if [ "$backend_started" = true ]; then
    section "mTLS backend $backend"
    docker logs --tail 50 "$backend" 2>&1
    docker exec "$backend" sh -c 'tail -n 40 /pki/backend/haproxy.log /pki/backend/echo.log' 2>&1
  fi
}

cleanup() {
  set +e
  if [ "$keep" = true ]; then
    step "Kept (--keep-cluster)"
    if [ "$created_cluster" = true ] || [ "$reuse" = true ]; then
      info "cluster $cluster: export KUBECONFIG=$work/kubeconfig  (delete: kind delete cluster --name $cluster)"
    fi
    [ "$backend_started" = false ] || info "backend container $backend at $backend_ip:$backend_port  (delete: docker rm -f $backend)"
    [ -z "$work" ] || info "work directory (kubeconfig, lab PKI): $work"
    return
  fi
  [ "$backend_started" = false ] || docker rm -f "$backend" >/dev/null 2>&1
  if [ "$created_cluster" = true ]; then
    kind delete cluster --name "$cluster" >/dev/null 2>&1
  fi
  [ -z "$work" ] || rm -rf "$work"
}

on_exit() {
  local rc=$?
  trap - EXIT
  # Diagnostics for failures, not for an interrupt (Ctrl-C: 130, SIGTERM: 143).
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ "$rc" -ne 143 ] && [ "$diagnose" = true ]; then
    if [ -n "$artifacts" ]; then
      mkdir -p "$artifacts"
      diagnostics 2>&1 | tee "$artifacts/e2e-diagnostics.txt"
    else
      diagnostics 2>&1
    fi
  fi
  cleanup
  if [ "$rc" -eq 0 ]; then
    printf '\nPASS: %s checks, Cilium %s (secretsMode %s), %s s\n' "$passes" "$cilium_chart_version" "$secrets_mode" "$SECONDS"
  else
    printf '\nFAIL (exit %s) after %s checks passed, %s s\n' "$rc" "$passes" "$SECONDS" >&2
  fi
  exit "$rc"
}

value_of() { [ $# -ge 2 ] || { echo "e2e: $1 needs a value" >&2; exit 2; }; }

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --name) value_of "$@"; cluster="$2"; shift 2 ;;
      --cilium-version) value_of "$@"; cilium_version="$2"; shift 2 ;;
      --secrets-mode) value_of "$@"; secrets_mode="$2"; shift 2 ;;
      --kube-proxy-replacement) kpr=true; shift ;;
      --image) value_of "$@"; image="$2"; shift 2 ;;
      --skip-build) skip_build=true; shift ;;
      --intercept-host) value_of "$@"; intercept_host="$2"; shift 2 ;;
      --reuse-cluster) reuse=true; shift ;;
      --keep-cluster) keep=true; shift ;;
      -h|--help) usage; exit 0 ;;
      *) echo "e2e: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
  done
}

main() {
  parse_args "$@"
  check_options
  preflight
  work=$(mktemp -d "${TMPDIR:-/tmp}/egress-tls-e2e.XXXXXX")
  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  resolve_cilium
  check_cluster_name
  build_image
  create_cluster
  install_cilium
  load_image
  install_egress_tls
  start_backend
  scenario_001
  scenario_002
}

# Sourced (check-static.sh renders the manifests with render): define only.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
