#!/usr/bin/env bash
# Runs the shared conformance checker (<shared>/tools/conformance/check.js) with its npm dependencies
# installed once under .tools/conformance, at the versions the checker's package.json pins. The shared
# folder is never written to, and concurrent callers (test classes run in parallel) wait on one lock
# instead of racing a half-finished install.
#   tests/conformance-check.sh [--install-only] [check.js arguments...]
# The shared folder is EGRESS_TLS_SHARED, default <repo>/../shared.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${EGRESS_TLS_SHARED:-$(cd "$root/.." && pwd)/shared}
checker="$shared/tools/conformance"
deps="$root/.tools/conformance"
[ -f "$checker/check.js" ] || { echo "conformance-check: $checker/check.js not found (set EGRESS_TLS_SHARED)" >&2; exit 2; }

installed() {
  node -e '
    const p = require(process.argv[1]);
    for (const [name, version] of Object.entries(p.dependencies)) {
      const dir = require("path").join(process.argv[2], "node_modules", name, "package.json");
      if (require(dir).version !== version) process.exit(1);
    }' "$checker/package.json" "$deps" 2>/dev/null
}

if ! installed; then
  mkdir -p "$deps"
  exec 9>"$deps.lock"
  flock 9
  if ! installed; then
    specs=$(node -e 'const p = require(process.argv[1]); console.log(Object.entries(p.dependencies).map(([n, v]) => `${n}@${v}`).join(" "))' "$checker/package.json")
    echo "conformance-check: installing $specs" >&2
    # shellcheck disable=SC2086
    npm install --silent --no-audit --no-fund --no-save --no-package-lock --prefix "$deps" $specs >&2
  fi
  flock -u 9
fi

[ "${1:-}" = "--install-only" ] && exit 0
NODE_PATH="$deps/node_modules" exec node "$checker/check.js" "$@"
