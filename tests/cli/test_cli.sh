#!/usr/bin/env bash
# vf-token against the dev authority: outputs, flags over variables, secret sources, exit codes,
# --help, that errors match the C API's messages, curl -H "$(vf-token --header)", and that no
# secret ever reaches stdout or stderr.
#
#   VF_TOKEN=target/debug/vf-token VF_C_MESSAGE=target/make/cli_c_message \
#     tests/with-authority.sh tests/cli/test_cli.sh
#
# VF_C_MESSAGE is tests/cli/c_message.c, built against the same library. Prints "FAIL: ..." for
# each failed check and "N passed, N failed" last; exits 1 on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${VF_TOKEN:?set VF_TOKEN to the vf-token binary}"
: "${VF_C_MESSAGE:?set VF_C_MESSAGE to the c_message helper}"
: "${VF_AUTHORITY:?run under tests/with-authority.sh}"

# Every secret any case uses: none may appear in any output.
SECRETS=(post-secret-0123456789 second-secret-abcdef 'a+b/c=d%e&f:g' wrong-secret-5f3a9c71e2)
WRONG=${SECRETS[3]}

work=$(mktemp -d)
pids=()
# Stops the servers this script started; fails if one of them is still running after that.
stop_servers() {
  local pid still=()
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && still+=("$pid"); done
  pids=()
  [ ${#still[@]} -eq 0 ]
}
cleanup() {
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0 rc=0 out='' err=''

# run [VAR=VALUE...] [-u VAR...] -- ARGS...: runs vf-token in a modified environment; sets rc,
# out and err, and appends both streams to the log the secret check reads. Stdin is empty
# unless STDIN_TEXT is set.
run() {
  local unset_args=() set_args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    if [ "$1" = -u ]; then unset_args+=(-u "$2"); shift 2; else set_args+=("$1"); shift; fi
  done
  shift
  local env_args=("${unset_args[@]}" "${set_args[@]}")
  if [ -n "${STDIN_TEXT+set}" ]; then
    env "${env_args[@]}" "$VF_TOKEN" "$@" >"$work/out" 2>"$work/err" <<<"$STDIN_TEXT"
  else
    env "${env_args[@]}" "$VF_TOKEN" "$@" >"$work/out" 2>"$work/err" </dev/null
  fi
  rc=$?
  out=$(<"$work/out") err=$(<"$work/err")
  { cat "$work/out" "$work/err"; } >>"$work/all-output"
}

# check DESCRIPTION COMMAND...: one check; COMMAND succeeding means it passed.
check() {
  local what=$1; shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $what"
    echo "      exit $rc; stdout: ${out:0:160}"
    echo "      stderr: ${err:0:300}"
  fi
}

has() { [[ $1 == *"$2"* ]]; }
lacks() { [[ $1 != *"$2"* ]]; }
is() { [ "$1" = "$2" ]; }
one_token() { [[ $1 =~ ^[A-Za-z0-9._~+/-]{20,}=*$ ]]; }

# A port nothing listens on (bound, then closed).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_server NAME PYTHON-CODE: runs a background server and sets server_port to the port it
# prints first. Not to be called in $(...): its PID must reach this shell's pids, or the server
# outlives the script.
start_server() {
  python3 -u -c "$2" >"$work/$1.port" 2>"$work/$1.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/$1.port" ] && break; sleep 0.05; done
  server_port=$(head -n1 "$work/$1.port")
}

# millis: milliseconds since the epoch.
millis() { date +%s%3N; }

# An HTTP server that answers every GET with the Authorization header it received.
ECHO_SERVER='
import http.server
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (self.headers.get("Authorization") or "(none)").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Echo)
print(server.server_address[1], flush=True)
server.serve_forever()
'
# A TCP server that accepts connections and never answers.
SILENT_SERVER='
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
'

echo "== outputs"
run -- ; check "default output is one access token" one_token "$out"
check "default output exits 0" is "$rc" 0
check "default output: stderr is empty" is "$err" ""
run -- --header
check "--header prints 'Authorization: Bearer <token>'" one_token "${out#Authorization: Bearer }"
check "--header line starts right" has "$out" "Authorization: Bearer "
check "--header output is one line" is "$(wc -l <"$work/out")" 1
run -- --json
check "--json exits 0" is "$rc" 0
check "--json is valid JSON with the documented fields" python3 -c '
import json, sys, time
doc = json.loads(sys.argv[1])
assert set(doc) == {"access_token", "token_type", "expires_in", "expires_at", "scope"}, doc
assert doc["token_type"] == "Bearer" and doc["scope"] == "api1", doc
assert isinstance(doc["expires_in"], int) and 3500 < doc["expires_in"] <= 3600, doc
assert isinstance(doc["expires_at"], int) and abs(doc["expires_at"] - time.time() - 3600) < 30, doc
assert len(doc["access_token"]) > 20
' "$out"
run -- --json --min-valid 600
check "--min-valid within the lifetime succeeds" is "$rc" 0
run -- --min-valid=7200
check "--min-valid beyond the lifetime: exit 11 (VF_STATUS_INVALID_ARGUMENT)" is "$rc" 11
check "--min-valid beyond the lifetime: says why" has "$err" "VF_STATUS_INVALID_ARGUMENT: a token valid for 7200 s"
check "--min-valid beyond the lifetime: no output" is "$out" ""

echo "== flags, variables and secrets"
run -- --json --scope api2
check "--scope overrides VF_SCOPE" python3 -c 'import json,sys; assert json.loads(sys.argv[1])["scope"] == "api2"' "$out"
run -- --json --scope=
check "--scope= resets the scope (both scopes granted)" python3 -c 'import json,sys; assert json.loads(sys.argv[1])["scope"] == "api1 api2"' "$out"
printf '%s\n' second-secret-abcdef >"$work/secret2"
run -- --client-id vf-post-2 --client-secret-file "$work/secret2"
check "--client-secret-file replaces VF_CLIENT_SECRET" is "$rc" 0
run VF_CLIENT_SECRET_FILE="$work/secret2" -u VF_CLIENT_SECRET -- --client-id=vf-post-2
check "VF_CLIENT_SECRET_FILE works" is "$rc" 0
STDIN_TEXT=second-secret-abcdef run VF_CLIENT_SECRET="$WRONG" -- --client-id vf-post-2 --client-secret-stdin
check "--client-secret-stdin reads one line and wins over VF_CLIENT_SECRET" is "$rc" 0
STDIN_TEXT='' run -- --client-secret-stdin
check "--client-secret-stdin with nothing on stdin: exit 2" is "$rc" 2
run -- --client-secret post-secret-0123456789
check "--client-secret VALUE works" is "$rc" 0
check "--client-secret VALUE warns about the process list" has "$err" "warning: --client-secret puts the secret in the process list"
run -- --client-secret=post-secret-0123456789 --client-secret-file "$work/secret2"
check "two secret sources: exit 2" is "$rc" 2
# A file, not <(...): wine's server opens files for a Windows program, and /dev/fd/N there is its own.
printf '%s' 'a+b/c=d%e&f:g' >"$work/secret-basic"
run -u VF_AUTHORITY -u VF_CLIENT_ID -u VF_CLIENT_SECRET -u VF_SCOPE -- \
  --authority "$VF_AUTHORITY" --client-id vf-basic --client-secret-file "$work/secret-basic" \
  --auth-method client_secret_basic --scope api2 --json
# The dev authority refuses vf-basic unless it really uses Basic: this fails if --auth-method
# were ignored.
check "flags alone, Basic auth, secret from a file without a newline" \
  python3 -c 'import json,sys; assert json.loads(sys.argv[1])["scope"] == "api2"' "$out"
run -- --token-endpoint "$VF_AUTHORITY/connect/token" --timeout-ms=5000 --connect-timeout-ms 1000 \
  --validate-endpoints --proxy none --default-expires-in 60 --resource urn:vidiflow:other
check "every other option flag is accepted" is "$rc" 0
run VF_TIMEOUT_MS=soon --
check "a bad VF_* variable: exit 12 (VF_STATUS_CONFIG)" is "$rc" 12
check "a bad VF_* variable is named" has "$err" "VF_TIMEOUT_MS"
run VF_TIMEOUT_MS=soon -- --timeout-ms 2000
check "variables are read before flags (a bad variable still fails)" is "$rc" 12

echo "== errors and exit codes"
run VF_CLIENT_SECRET="$WRONG" --
check "wrong secret: exit 17 (VF_STATUS_OAUTH)" is "$rc" 17
check "wrong secret: status and OAuth error on stderr" has "$err" "vf-token: VF_STATUS_OAUTH: "
check "wrong secret: invalid_client" has "$err" "invalid_client"
check "wrong secret: nothing on stdout" is "$out" ""
c_says=$(VF_CLIENT_SECRET="$WRONG" "$VF_C_MESSAGE")
check "wrong secret: the same message as the C API" is "$err" "vf-token: $c_says"
# invalid_scope (and, above, "no scope means both scopes") is written by
# tests/authority/server.mjs, as IdentityServer answers; oidc-provider alone would drop the scope.
run -- --scope nope
check "unknown scope: exit 17 with invalid_scope" has "$rc:$err" "17:vf-token: VF_STATUS_OAUTH: "
check "unknown scope: invalid_scope" has "$err" "invalid_scope"
down="http://127.0.0.1:$(free_port)/core"
run -- --authority "$down"
check "authority down: exit 14 (VF_STATUS_NETWORK)" is "$rc" 14
c_says=$(VF_AUTHORITY=$down "$VF_C_MESSAGE")
check "authority down: the same message as the C API" is "$err" "vf-token: $c_says"
start_server silent "$SILENT_SERVER"
started=$(millis)
run -- --authority "http://127.0.0.1:$server_port/core" --timeout-ms 400
took=$(( $(millis) - started ))
check "authority silent: exit 15 (VF_STATUS_TIMEOUT)" is "$rc" 15
# 400 ms, with 1.6 s of slack for starting the process on a busy machine.
check "authority silent: gave up at --timeout-ms 400 (took $took ms; 400..2000 expected)" \
  test "$took" -ge 400 -a "$took" -le 2000
run -- --timeout-ms ten
check "bad flag value: exit 12 (VF_STATUS_CONFIG)" is "$rc" 12
check "bad flag value: the library's message names the option" has "$err" "VF_STATUS_CONFIG: option 'timeout_ms': expected a whole number"
run -- --allow-http=maybe
check "bad boolean: exit 12" is "$rc" 12
run -u VF_CLIENT_ID --
check "missing client id: exit 12" is "$rc" 12
c_says=$(env -u VF_CLIENT_ID "$VF_C_MESSAGE")
check "missing client id: the same message as the C API" is "$err" "vf-token: $c_says"
run -- --min-valid 100000
check "--min-valid past any lifetime: exit 11" is "$rc" 11
c_says=$("$VF_C_MESSAGE" 100000)
check "--min-valid past any lifetime: the same message as the C API" is "$err" "vf-token: $c_says"

echo "== usage errors (exit 2)"
for args in "--bogus" "--scope" "--header --json" "--min-valid soon" "--json=yes" "positional" "-x"; do
  # shellcheck disable=SC2086 # split on purpose
  run -- $args
  check "'vf-token $args': exit 2" is "$rc" 2
  check "'vf-token $args': points to --help" has "$err" "see 'vf-token --help'"
  check "'vf-token $args': no output" is "$out" ""
done
run -- --client-secrte=post-secret-0123456789
check "misspelt secret flag: exit 2" is "$rc" 2
check "misspelt secret flag: names the flag" has "$err" "unknown option '--client-secrte'"
run -- post-secret-0123456789
check "a stray argument (maybe a secret): exit 2" is "$rc" 2

echo "== --help and --version"
run -- --help
check "--help exits 0" is "$rc" 0
for flag in --authority --token-endpoint --client-id --client-secret --client-secret-file --client-secret-stdin \
  --scope --resource --auth-method --timeout-ms --connect-timeout-ms --ca-file --allow-http \
  --validate-endpoints --default-expires-in --proxy --header --json --min-valid --verbose --version; do
  check "--help lists $flag" grep -qE -- "[ ,]$flag([ =]|\\[|\$)" <<<"$out"
done
for status in $(grep -oE '^ *VF_STATUS_[A-Z_]+ = [0-9]+' "$root/include/vidiflow_auth.h" | tr -d ' '); do
  name=${status%=*} number=${status#*=}
  [ "$number" = 0 ] && continue
  check "--help gives exit $((10 + number)) for $name" has "$out" "$((10 + number))  $name"
done
check "--help gives exit 2 for usage errors" has "$out" "   2  usage error"
check "--help shows the curl idiom" has "$out" 'curl -H "$(vf-token --header)"'
run -- -h
check "-h is --help" has "$out" "Exit status:"
run -- --version
check "--version prints the crate version" is "$out" "vf-token $(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)"

echo "== verbose, output errors"
run -- -vv --json
check "-vv: exit 0" is "$rc" 0
check "-vv: the library's log on stderr" has "$err" "vf-token: info: "
"$VF_TOKEN" >/dev/full 2>"$work/err"; rc=$?; err=$(<"$work/err")
check "a full disk: exit 1" is "$rc" 1
check "a full disk: says so" has "$err" "cannot write the output"

echo "== curl"
start_server echo "$ECHO_SERVER"
url="http://127.0.0.1:$server_port/api"
header=$("$VF_TOKEN" --header)
seen=$(curl --noproxy '*' -fsS -H "$header" "$url"); rc=$?
check "curl -H \"\$(vf-token --header)\" delivers the header" is "Authorization: $seen" "$header"
seen=$(curl --noproxy '*' -fsS -H "$("$VF_TOKEN" --header)" "$url")
check "the one-liner form works" one_token "${seen#Bearer }"
seen=$("$VF_TOKEN" --header | curl --noproxy '*' -fsS -H @- "$url")
check "vf-token --header | curl -H @- works" one_token "${seen#Bearer }"
out=$(PATH="$(dirname "$VF_TOKEN"):$PATH" "$root/examples/shell/curl_with_token.sh" "$url" 2>"$work/err"); rc=$?
err=$(<"$work/err")
check "examples/shell/curl_with_token.sh sends the token" one_token "${out#Bearer }"
out=$(PATH="$(dirname "$VF_TOKEN"):$PATH" VF_CLIENT_SECRET="$WRONG" \
  "$root/examples/shell/curl_with_token.sh" "$url" 2>"$work/err"); rc=$?
err=$(<"$work/err")
check "the example stops when there is no token (exit 17, curl not run)" is "$rc:$out" "17:"
{ echo "$out"; echo "$err"; } >>"$work/all-output"

echo "== the secret is never printed"
for secret in "${SECRETS[@]}"; do
  check "no output contains the secret '${secret:0:4}...'" \
    bash -c '! grep -qF -- "$1" "$2"' _ "$secret" "$work/all-output"
done

echo "== nothing left running"
check "every server this script started has stopped" stop_servers

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
