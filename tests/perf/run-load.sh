#!/usr/bin/env bash
# Load benchmark of the admission endpoint (README.md, "Performance"): builds Release, then drives the
# Kestrel floor and `egress-tls serve --standalone` side by side on 127.0.0.1 and prints the tables.
# Arguments go to the benchmark, e.g. `--duration 10s --rate 1000 --connections 8 --soak 100000`,
# `--smoke` (CI), or `--scale` (10,000 pods over 1,000 namespaces through the core).
# Default: every body, 5 s per cell, then 3 rounds of 100,000 admissions for the working set.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
# The benchmark references the webhook project, so this builds serve too (same configuration).
dotnet build tests/EgressTls.LoadBench -c Release --nologo -v quiet -clp:ErrorsOnly
echo "machine: $(nproc) CPUs, $(uptime | sed 's/.*load average/load average/')"
if [ "$#" -eq 0 ]; then
  set -- --soak 100000
fi
exec dotnet tests/EgressTls.LoadBench/bin/Release/net10.0/EgressTls.LoadBench.dll "$@"
