#!/usr/bin/env bash
# Runs the whole test suite: installs the external tools the tests drive (see install-tools.sh),
# then `dotnet test` on the solution. Extra arguments go to `dotnet test` (e.g. --filter).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$root/tests/install-tools.sh")
export PATH="$bin:$PATH"
export EGRESS_TLS_SHARED="${EGRESS_TLS_SHARED:-$(cd "$root/.." && pwd)/shared}"
cd "$root"
dotnet test Webhook.sln -c Release --nologo "$@"
