#!/usr/bin/env bash
# Offline checks of the kind end-to-end test, for CI (no Docker, no cluster, no network):
#   1. bash -n on every script in tests/e2e (and shellcheck, when it is installed);
#   2. every static manifest in tests/e2e/manifests and kind-config.yaml decodes with kubectl's own
#      decoder (kubectl label --local: YAML syntax, apiVersion/kind, typed metadata); Pods also go
#      through the typed Pod decoder (kubectl set image --local: field types, quantities).
#      `kubectl apply --dry-run=client` needs an API server for discovery even in client mode, so
#      these --local verbs are the offline equivalent;
#   3. the placeholders in the manifests are exactly those run.sh substitutes, and the manifests
#      rendered by run.sh's own render function (sample values) decode as well;
#   4. the Cilium values files parse and carry what the scenarios need (envoyConfig, L7 proxy,
#      policy secrets per version), merged by helm as run.sh passes them;
#   5. helm template of charts/egress-tls with tests/e2e/egress-tls-values.yaml and the values
#      run.sh sets, for every Cilium version and secrets mode run.sh can choose.
#
# Usage: tests/e2e/check-static.sh
# kubectl and helm are taken from PATH, else from <repo>/.tools/bin (tests/install-tools.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

failures=0
pass() { printf 'ok   %s\n' "$*"; }
bad() { printf 'FAIL %s\n' "$*" >&2; failures=$((failures + 1)); }

tool() { # NAME -> path
  if command -v "$1" >/dev/null 2>&1; then
    command -v "$1"
  elif [ -x "$repo/.tools/bin/$1" ]; then
    printf '%s\n' "$repo/.tools/bin/$1"
  else
    printf 'check-static: %s not found on PATH or in %s/.tools/bin: run tests/install-tools.sh (or tests/run.sh)\n' "$1" "$repo" >&2
    exit 1
  fi
}
kubectl=$(tool kubectl)
helm=$(tool helm)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Scripts
for f in "$here"/*.sh; do
  if bash -n "$f"; then pass "bash -n ${f#"$repo"/}"; else bad "bash -n ${f#"$repo"/}"; fi
done
if command -v shellcheck >/dev/null 2>&1; then
  if shellcheck "$here"/*.sh; then pass "shellcheck tests/e2e/*.sh"; else bad "shellcheck tests/e2e/*.sh"; fi
else
  printf 'skip shellcheck (not installed)\n'
fi

# 2. Static manifests
decode() { # FILE LABEL
  local out
  if ! out=$("$kubectl" label --local -f "$1" egress-tls.io/static-check=ok -o name 2>&1); then
    bad "$2 does not decode: $out"
    return
  fi
  if grep -q '^kind: Pod$' "$1"; then
    if ! out=$("$kubectl" set image --local -f "$1" '*=static-check' -o name 2>&1); then
      bad "$2 does not decode as Pods: $out"
      return
    fi
  fi
  pass "$2 decodes ($(tr '\n' ' ' <<<"$out" | sed 's/ *$//'))"
}
shopt -s nullglob
manifests=("$here"/manifests/*.yaml)
[ "${#manifests[@]}" -gt 0 ] || bad "no manifests in tests/e2e/manifests"
for f in "${manifests[@]}" "$here/kind-config.yaml"; do
  decode "$f" "${f#"$repo"/}"
done
if grep -q '^  disableDefaultCNI: true$' "$here/kind-config.yaml" && grep -q '^  kubeProxyMode: iptables$' "$here/kind-config.yaml"; then
  pass "kind-config.yaml: default CNI off, kube-proxy mode run.sh can switch"
else
  bad "kind-config.yaml must say disableDefaultCNI: true and kubeProxyMode: iptables (run.sh rewrites the latter)"
fi

# 3. Placeholders: those in the manifests = those run.sh substitutes; rendered manifests decode.
used=$(cat "${manifests[@]}" | grep -oE '__[A-Z_]+__' | sort -u || true)
substituted=$(grep -oE 's\|__[A-Z_]+__\|' "$here/run.sh" | tr -d 's|' | sort -u || true)
if [ "$used" = "$substituted" ]; then
  pass "placeholders: $(tr '\n' ' ' <<<"$used" | sed 's/ *$//')"
else
  bad "placeholders in manifests ($(tr '\n' ' ' <<<"$used")) differ from those run.sh substitutes ($(tr '\n' ' ' <<<"$substituted"))"
fi
for f in "${manifests[@]}"; do
  name=${f##*/}
  if (
    # Only defines functions and defaults when sourced; not followed by shellcheck (it checks run.sh itself).
    # shellcheck source=/dev/null
    source "$here/run.sh"
    # shellcheck disable=SC2034 # read by render
    backend_ip=172.18.0.9
    render "$name"
  ) >"$tmp/$name" 2>"$tmp/$name.err"; then
    decode "$tmp/$name" "rendered manifests/$name"
  else
    bad "run.sh render $name: $(cat "$tmp/$name.err")"
  fi
done
if grep -q 'egress-tls.io/mtls: "172.18.0.9:8083 cert=tls-client-cert ca=backend-ca"' "$tmp/mtls-inject-pods.yaml" 2>/dev/null; then
  pass "rendered mtls annotation names the backend IP:port and both Secrets"
else
  bad "rendered mtls-inject-pods.yaml lacks the expected egress-tls.io/mtls annotation"
fi

# 4. Cilium values, merged as run.sh passes them, through a throwaway chart that prints them.
mkdir -p "$tmp/values-chart/templates"
printf 'apiVersion: v2\nname: values-probe\nversion: 0.0.0\n' >"$tmp/values-chart/Chart.yaml"
cat >"$tmp/values-chart/templates/probe.yaml" <<'EOF'
{{- $tls := .Values.tls | default dict }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: probe
data:
  probe: |
    envoyConfig.enabled={{ .Values.envoyConfig.enabled }}
    envoyConfig.secretsNamespace={{ .Values.envoyConfig.secretsNamespace.create }}/{{ .Values.envoyConfig.secretsNamespace.name }}
    l7Proxy={{ .Values.l7Proxy }}
    kubeProxyReplacement={{ .Values.kubeProxyReplacement }}
    operator.replicas={{ .Values.operator.replicas }}
    tls.secretsBackend={{ dig "secretsBackend" "" $tls }}
    tls.secretSync.enabled={{ dig "secretSync" "enabled" "" $tls }}
    tls.readSecretsOnlyFromSecretsNamespace={{ dig "readSecretsOnlyFromSecretsNamespace" "" $tls }}
    tls.secretsNamespace={{ dig "secretsNamespace" "create" "" $tls }}/{{ dig "secretsNamespace" "name" "" $tls }}
EOF
probe() { # VERSION-FILE -> merged values summary
  "$helm" template probe "$tmp/values-chart" -f "$here/cilium-values.yaml" -f "$here/$1"
}
expect() { # OUTPUT LINE LABEL
  if grep -qx "    $2" <<<"$1"; then pass "$3: $2"; else bad "$3: expected $2"; fi
}
for v in 1.16 1.17; do
  if ! out=$(probe "cilium-values-$v.yaml" 2>&1); then
    bad "cilium-values.yaml + cilium-values-$v.yaml do not parse: $out"
    continue
  fi
  label="cilium values $v"
  expect "$out" "envoyConfig.enabled=true" "$label"
  expect "$out" "envoyConfig.secretsNamespace=true/cilium-secrets" "$label"
  expect "$out" "l7Proxy=true" "$label"
  expect "$out" "operator.replicas=1" "$label"
  expect "$out" "kubeProxyReplacement=false" "$label"
  if [ "$v" = 1.16 ]; then
    expect "$out" "tls.secretsBackend=local" "$label"
    expect "$out" "tls.secretSync.enabled=" "$label"
  else
    expect "$out" "tls.secretSync.enabled=true" "$label"
    expect "$out" "tls.readSecretsOnlyFromSecretsNamespace=true" "$label"
    expect "$out" "tls.secretsNamespace=true/cilium-secrets" "$label"
    expect "$out" "tls.secretsBackend=" "$label"
  fi
done

# 5. The egress-tls chart with the e2e values, for each version/mode run.sh can choose.
for combo in 1.16:inline 1.16:auto 1.17:sds 1.17:inline 1.17:auto 1.18:sds 1.18:auto; do
  v=${combo%%:*} mode=${combo##*:}
  if ! out=$("$helm" template egress-tls "$repo/charts/egress-tls" --namespace egress-tls \
    -f "$here/egress-tls-values.yaml" --set-string image.repository=egress-tls --set-string image.tag=e2e \
    --set-string "cilium.version=$v" --set-string "cilium.secretsMode=$mode" 2>&1); then
    bad "helm template charts/egress-tls (cilium $v, $mode): $out"
    continue
  fi
  if grep -q 'image: egress-tls:e2e$' <<<"$out" && grep -q "\"version\": \"$v\"" <<<"$out" &&
    grep -q "\"secretsMode\": \"$mode\"" <<<"$out" && grep -q '^kind: MutatingWebhookConfiguration$' <<<"$out"; then
    pass "helm template charts/egress-tls with e2e values (cilium $v, $mode)"
  else
    bad "helm template charts/egress-tls (cilium $v, $mode): image, cilium config or webhook configuration missing"
  fi
done

if [ "$failures" -ne 0 ]; then
  printf '%s check(s) failed\n' "$failures" >&2
  exit 1
fi
printf 'all static e2e checks passed\n'
