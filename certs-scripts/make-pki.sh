#!/usr/bin/env bash
# Builds the PKI of the mTLS lab with openssl: a root CA, an intermediate CA, a server certificate
# for the backend and a client certificate for mTLS, all signed by the intermediate.
#
# Usage: certs-scripts/make-pki.sh OUT_DIR [--server-name NAME]... [--server-ip IP]...
#                                  [--client-cn CN] [--key-algorithm ALG] [--days N] [--force]
#   --server-name / --server-ip  extra SANs for the server certificate (always: localhost, 127.0.0.1, ::1)
#   --client-cn                  subject CN of the client certificate (default: egress-tls-client)
#   --key-algorithm              ecdsa-p256 (default), ecdsa-p384, rsa-2048, rsa-3072, rsa-4096
#   --days                       validity of the server and client certificates (default 365)
#   --force                      overwrite an existing PKI in OUT_DIR
#
# OUT_DIR afterwards:
#   root-ca.crt root-ca.key                 self-signed root (10 years)
#   intermediate-ca.crt intermediate-ca.key intermediate (5 years, pathlen 0)
#   ca.crt                                  the root alone: what clients and Envoy trust
#   ca-chain.crt                            intermediate + root (HAProxy ca-file for client certificates)
#   server.crt server.key server.pem        server leaf + intermediate; server.pem = crt + key (HAProxy)
#   client.crt client.key                   client leaf + intermediate (the Secret for mTLS injection)
# Keys are unencrypted PKCS#8 with mode 0600. Nothing here is meant for production.
set -euo pipefail

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

out=""
names=()
ips=()
client_cn="egress-tls-client"
alg="ecdsa-p256"
days=365
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --server-name) names+=("$2"); shift 2 ;;
    --server-ip) ips+=("$2"); shift 2 ;;
    --client-cn) client_cn="$2"; shift 2 ;;
    --key-algorithm) alg="$2"; shift 2 ;;
    --days) days="$2"; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "make-pki: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [ -z "$out" ] || { echo "make-pki: only one OUT_DIR" >&2; exit 2; }; out="$1"; shift ;;
  esac
done
[ -n "$out" ] || { usage >&2; exit 2; }
# ub-common-name (RFC 5280 A.1): openssl refuses a longer CN, after the CAs were already written.
[ "${#client_cn}" -le 64 ] || {
  echo "make-pki: --client-cn \"$client_cn\" is longer than 64 characters (the X.509 limit for a common name)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "make-pki: openssl not found (run tests/install-tools.sh)" >&2; exit 1; }

case "$alg" in
  ecdsa-p256) keyopts=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256); digest=sha256 ;;
  ecdsa-p384) keyopts=(-algorithm EC -pkeyopt ec_paramgen_curve:P-384); digest=sha384 ;;
  rsa-2048|rsa-3072|rsa-4096) keyopts=(-algorithm RSA -pkeyopt "rsa_keygen_bits:${alg#rsa-}"); digest=sha256 ;;
  *) echo "make-pki: \"$alg\" is not a key algorithm; expected one of ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096" >&2; exit 2 ;;
esac

mkdir -p "$out"
if [ -e "$out/root-ca.key" ] && [ "$force" -ne 1 ]; then
  echo "make-pki: $out already holds a PKI (use --force to replace it)" >&2
  exit 1
fi
umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() { openssl genpkey "${keyopts[@]}" -out "$1" 2>/dev/null; }

# Root CA (RFC 5280 4.2.1.9: basicConstraints CA:TRUE critical; keyCertSign|cRLSign).
key "$out/root-ca.key"
openssl req -x509 -new -key "$out/root-ca.key" -"$digest" -days 3650 \
  -subj "/O=egress-tls lab/CN=egress-tls lab Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" \
  -out "$out/root-ca.crt"

# Intermediate CA, pathlen 0: it signs leaves only.
cat > "$tmp/intermediate.ext" <<EXT
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EXT
key "$out/intermediate-ca.key"
openssl req -new -key "$out/intermediate-ca.key" -subj "/O=egress-tls lab/CN=egress-tls lab Intermediate CA" -out "$tmp/intermediate.csr"
openssl x509 -req -in "$tmp/intermediate.csr" -CA "$out/root-ca.crt" -CAkey "$out/root-ca.key" -set_serial "0x$(openssl rand -hex 16)" \
  -days 1825 -"$digest" -extfile "$tmp/intermediate.ext" -out "$out/intermediate-ca.crt" 2>/dev/null

# Leaves: keyEncipherment only makes sense for RSA keys (RFC 5280 4.2.1.3).
ku="digitalSignature"
case "$alg" in rsa-*) ku="digitalSignature,keyEncipherment" ;; esac

san="DNS:localhost,IP:127.0.0.1,IP:::1"
for n in "${names[@]}"; do san="$san,DNS:$n"; done
for i in "${ips[@]}"; do san="$san,IP:$i"; done
server_cn="${names[0]:-${ips[0]:-localhost}}"
# A name longer than a CN may be (64 characters, e.g. a load balancer's) is in the SANs only: clients match those.
server_subj="/O=egress-tls lab"
[ "${#server_cn}" -gt 64 ] || server_subj="$server_subj/CN=$server_cn"

cat > "$tmp/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,$ku
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=$san
EXT
key "$out/server.key"
openssl req -new -key "$out/server.key" -subj "$server_subj" -out "$tmp/server.csr"
openssl x509 -req -in "$tmp/server.csr" -CA "$out/intermediate-ca.crt" -CAkey "$out/intermediate-ca.key" -set_serial "0x$(openssl rand -hex 16)" \
  -days "$days" -"$digest" -extfile "$tmp/server.ext" -out "$tmp/server-leaf.crt" 2>/dev/null

cat > "$tmp/client.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,$ku
extendedKeyUsage=clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
key "$out/client.key"
openssl req -new -key "$out/client.key" -subj "/O=egress-tls lab/CN=$client_cn" -out "$tmp/client.csr"
openssl x509 -req -in "$tmp/client.csr" -CA "$out/intermediate-ca.crt" -CAkey "$out/intermediate-ca.key" -set_serial "0x$(openssl rand -hex 16)" \
  -days "$days" -"$digest" -extfile "$tmp/client.ext" -out "$tmp/client-leaf.crt" 2>/dev/null

# Chains: leaf + intermediate, never the root (clients hold it).
cat "$tmp/server-leaf.crt" "$out/intermediate-ca.crt" > "$out/server.crt"
cat "$tmp/client-leaf.crt" "$out/intermediate-ca.crt" > "$out/client.crt"
cat "$out/server.crt" "$out/server.key" > "$out/server.pem"
cp "$out/root-ca.crt" "$out/ca.crt"
cat "$out/intermediate-ca.crt" "$out/root-ca.crt" > "$out/ca-chain.crt"
chmod 0644 "$out"/*.crt

openssl verify -CAfile "$out/ca.crt" -untrusted "$out/intermediate-ca.crt" "$tmp/server-leaf.crt" "$tmp/client-leaf.crt" >/dev/null
echo "make-pki: wrote $out (server SANs: $san; client CN: $client_cn; $alg)" >&2
