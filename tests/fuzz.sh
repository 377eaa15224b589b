#!/usr/bin/env bash
# Long property-based run of the admission core: EGRESS_TLS_FUZZ_CASES cases (default 200000)
# starting at seed EGRESS_TLS_FUZZ_SEED (default 1). A failure names the seed that reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."
export EGRESS_TLS_FUZZ_CASES="${EGRESS_TLS_FUZZ_CASES:-200000}"
export EGRESS_TLS_FUZZ_SEED="${EGRESS_TLS_FUZZ_SEED:-1}"
exec dotnet test tests/EgressTls.Webhook.Tests --filter "FullyQualifiedName~Robustness.FuzzTests" "$@"
