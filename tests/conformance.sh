#!/usr/bin/env bash
# Renders every example under tests/examples with `egress-tls render` and validates all generated
# Cilium/Envoy/Flux objects with the conformance checker (CRD schemas of Cilium 1.14-1.18, Envoy protos,
# Flux Provider schema).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${1:-$(cd "$root/.." && pwd)/shared}
out="$root/artifacts/conformance"
mkdir -p "$out"
dotnet build "$root/src/EgressTls.Webhook" -c Release --nologo -v q >/dev/null
bin="$root/src/EgressTls.Webhook/bin/Release/net10.0/egress-tls"
shopt -s nullglob
examples=("$root"/tests/examples/*.yaml)
if [ ${#examples[@]} -eq 0 ]; then
  echo "conformance: no examples under tests/examples" >&2
  exit 1
fi
# Each Cilium release gets objects rendered for it (fields such as enableDefaultDeny exist only from 1.16),
# checked against that release's CRD schemas.
for version in 1.14 1.16 1.17 1.18; do
  mkdir -p "$out/$version"
  for f in "${examples[@]}"; do
    "$bin" render -f "$f" --cilium-version "$version" > "$out/$version/$(basename "$f")"
  done
  EGRESS_TLS_SHARED="$shared" "$root/tests/conformance-check.sh" --cilium "$version" "$out/$version"/*.yaml
done
