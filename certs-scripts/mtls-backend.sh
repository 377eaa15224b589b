#!/usr/bin/env bash
# Runs a local mTLS backend like the lab's: HAProxy terminates TLS with the server certificate,
# requires a client certificate signed by the lab CA (verify required), adds the client
# certificate's details as headers, and forwards to a small echo endpoint that returns the request
# (method, path, headers) as JSON.
#
# Usage: certs-scripts/mtls-backend.sh run|start|stop|status --pki DIR [--state-dir DIR]
#                                      [--port 8083] [--bind 127.0.0.1] [--echo-port 8081]
#   run     foreground; Ctrl-C (or SIGTERM) stops HAProxy and the echo server
#   start   background; writes haproxy.pid and echo.pid into the state dir, returns when listening
#   stop    stops what `start` started (by its pid files) and removes them
#   status  exit 0 when both pids from the state dir are alive
#   --pki        output directory of make-pki.sh (server.pem, ca-chain.crt)
#   --state-dir  pid files, haproxy.cfg and logs (default: DIR/backend)
# Headers added (as in the lab): X-Ssl, X-Ssl-Client-Verify, X-Ssl-Client-Dn, X-Ssl-Client-Cn,
# X-Ssl-Issuer, X-Ssl-Client-Notbefore, X-Ssl-Client-Notafter.
#
# Try it:  curl --cacert DIR/ca.crt --cert DIR/client.crt --key DIR/client.key https://127.0.0.1:8083/hello
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

cmd="${1:-}"; [ $# -gt 0 ] && shift
pki=""; state=""; port=8083; bind=127.0.0.1; echo_port=8081
while [ $# -gt 0 ]; do
  case "$1" in
    --pki) pki="$2"; shift 2 ;;
    --state-dir) state="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --bind) bind="$2"; shift 2 ;;
    --echo-port) echo_port="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "mtls-backend: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
[ -n "$pki" ] || { usage >&2; exit 2; }
pki=$(cd "$pki" && pwd)
state="${state:-$pki/backend}"
mkdir -p "$state"
state=$(cd "$state" && pwd)

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop() {
  local f
  for f in "$state/haproxy.pid" "$state/echo.pid"; do
    if alive "$f"; then kill "$(cat "$f")" 2>/dev/null || true; fi
    rm -f "$f"
  done
}

wait_port() { # host port what
  local i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "mtls-backend: $3 did not listen on $1:$2 (logs in $state)" >&2
  return 1
}

launch() {
  for tool in haproxy python3; do
    command -v "$tool" >/dev/null || { echo "mtls-backend: $tool not found (run tests/install-tools.sh)" >&2; exit 1; }
  done
  for f in server.pem ca-chain.crt; do
    [ -f "$pki/$f" ] || { echo "mtls-backend: $pki/$f missing (run certs-scripts/make-pki.sh $pki first)" >&2; exit 1; }
  done
  if alive "$state/haproxy.pid" || alive "$state/echo.pid"; then
    echo "mtls-backend: already running (state $state); stop it first" >&2; exit 1
  fi

  cat > "$state/haproxy.cfg" <<CFG
global
    log stderr format short local0 info

defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend mtls
    # verify required: a handshake without a client certificate signed by ca-file fails
    # ("certificate required" alert), exactly what the lab's backend enforces.
    bind ${bind}:${port} ssl crt ${pki}/server.pem ca-file ${pki}/ca-chain.crt verify required
    http-request set-header X-Ssl %[ssl_fc]
    http-request set-header X-Ssl-Client-Verify %[ssl_c_verify]
    http-request set-header X-Ssl-Client-Dn %{+Q}[ssl_c_s_dn]
    http-request set-header X-Ssl-Client-Cn %{+Q}[ssl_c_s_dn(cn)]
    http-request set-header X-Ssl-Issuer %{+Q}[ssl_c_i_dn]
    http-request set-header X-Ssl-Client-Notbefore %{+Q}[ssl_c_notbefore]
    http-request set-header X-Ssl-Client-Notafter %{+Q}[ssl_c_notafter]
    default_backend echo

backend echo
    server echo 127.0.0.1:${echo_port}
CFG
  haproxy -c -q -f "$state/haproxy.cfg"

  python3 "$here/echo-server.py" --host 127.0.0.1 --port "$echo_port" >"$state/echo.log" 2>&1 &
  echo $! > "$state/echo.pid"
  haproxy -db -f "$state/haproxy.cfg" >"$state/haproxy.log" 2>&1 &
  echo $! > "$state/haproxy.pid"
  if ! wait_port 127.0.0.1 "$echo_port" "echo server" || ! wait_port "$bind" "$port" "haproxy"; then
    stop; exit 1
  fi
  echo "mtls-backend: https://${bind}:${port} (client certificate required; echo on 127.0.0.1:${echo_port}; state $state)" >&2
}

case "$cmd" in
  start) launch ;;
  run)
    trap 'stop' EXIT
    trap 'exit 0' INT TERM
    launch
    # Foreground: stay until either process ends or we are interrupted.
    wait -n "$(cat "$state/haproxy.pid")" "$(cat "$state/echo.pid")" || true
    ;;
  stop) stop ;;
  status) alive "$state/haproxy.pid" && alive "$state/echo.pid" ;;
  *) usage >&2; exit 2 ;;
esac
