#!/usr/bin/env bash
# Runs a command with the dev authority up on an ephemeral 127.0.0.1 port, then stops it.
#
#   tests/with-authority.sh [--ttl SECONDS] [--tls] COMMAND [ARGS...]
#
# The command sees VF_TEST_AUTHORITY and VF_TEST_STATS (the authority's request counter), and
# VF_AUTHORITY, VF_CLIENT_ID, VF_CLIENT_SECRET and VF_SCOPE set for the `vf-post` client, so
# anything that reads VF_* variables gets a token with no further set-up.
#
# --tls serves https as `localhost` with a certificate from a throw-away CA (openssl), whose
# certificate VF_CA_FILE names.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ttl=3600 tls=''
while :; do
  case "${1:-}" in
    --ttl) ttl=$2; shift 2 ;;
    --tls) tls=1; shift ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--ttl SECONDS] [--tls] COMMAND [ARGS...]" >&2; exit 2; }
[ -d "$here/authority/node_modules/oidc-provider" ] ||
  { echo "the dev authority is not installed: run 'npm ci --prefix tests/authority'" >&2; exit 2; }

work=$(mktemp -d)
fifo=$work/ready; mkfifo "$fifo"
tls_env=()
if [ -n "$tls" ]; then
  pki() { openssl "$@" >/dev/null 2>&1 || { echo "openssl $1 failed" >&2; exit 2; }; }
  pki req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" -days 2 \
    -subj "/CN=vidiflow-auth test CA"
  pki req -new -newkey rsa:2048 -nodes -keyout "$work/server.key" -out "$work/server.csr" -subj /CN=localhost
  printf 'subjectAltName=DNS:localhost\n' >"$work/san.ext"
  pki x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -out "$work/server.pem" -days 2 -extfile "$work/san.ext"
  tls_env=(VF_TEST_TLS_CERT="$work/server.pem" VF_TEST_TLS_KEY="$work/server.key" VF_TEST_HOST_NAME=localhost)
  export VF_CA_FILE=$work/ca.pem
fi
# Its stdin is a pipe held open by this script: if the script dies, the authority exits too.
exec 3> >(env "${tls_env[@]}" VF_TEST_TOKEN_TTL="$ttl" VF_TEST_EXIT_ON_STDIN_CLOSE=1 \
  node "$here/authority/server.mjs" >"$fifo")
authority_pid=$!
trap 'exec 3>&-; kill "$authority_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
read -r -t 20 ready <"$fifo" || { echo "the dev authority did not start" >&2; exit 2; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$ready" "$1"; }

export VF_TEST_AUTHORITY VF_TEST_STATS
VF_TEST_AUTHORITY=$(field authority)
VF_TEST_STATS=$(field stats)
export VF_AUTHORITY=$VF_TEST_AUTHORITY VF_CLIENT_ID=vf-post VF_CLIENT_SECRET=post-secret-0123456789 VF_SCOPE=api1
# Loopback never goes through a proxy.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
"$@"
