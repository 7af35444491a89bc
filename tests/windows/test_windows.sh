#!/usr/bin/env bash
# The Windows build under wine, against the dev authority: the DLL's exports and version
# resource, the C contract test, the C++ test, a herd of Windows threads (the authority sees one
# token request), vf-token.exe reading the secret on a console with echo off, and vf-token.exe
# through the same tests/cli/test_cli.sh as the Linux binary.
#
#   WIN_TEST_DIR=target/win/test WINEPREFIX=$PWD/target/win/wine-prefix \
#     tests/with-authority.sh tests/windows/test_windows.sh
#
# WIN_TEST_DIR holds what `make windows` puts there: the DLL, vf-token.exe, the test programs and
# the test-only bcryptprimitives.dll (tests/windows/prng_shim.c) that wine 8.0 needs. WINEPREFIX
# must be a private directory (made on first use). Exits 1 if any suite failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${WIN_TEST_DIR:?set WIN_TEST_DIR to the directory make windows fills}"
: "${WINEPREFIX:?set WINEPREFIX to a private wine prefix}"
: "${VF_TEST_STATS:?run under tests/with-authority.sh}"
WIN_TEST_DIR=$(cd "$WIN_TEST_DIR" && pwd)

# Headless and quiet: no display, no wine debug channels, no Mono/Gecko installers; the shim
# bcryptprimitives.dll beside the programs wins over wine's own.
export WINEPREFIX WINEDEBUG=-all WINEDLLOVERRIDES='mscoree=;mshtml=;bcryptprimitives=n,b'
unset DISPLAY WAYLAND_DISPLAY
wine=/usr/lib/wine/wine64
wineserver=/usr/lib/wine/wineserver

work=$(mktemp -d)
# One wine server for the whole run (each program would otherwise start its own), stopped at the end.
trap '"$wineserver" -k 2>/dev/null; rm -rf "$work"' EXIT
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "== making the wine prefix $WINEPREFIX"
  "$wine" wineboot --init >/dev/null 2>&1
fi
"$wineserver" -p

failed_suites=()
# suite NAME COMMAND...: runs one suite, records it as failed if it exits non-zero.
suite() {
  local name=$1; shift
  echo "== $name"
  if ! "$@"; then failed_suites+=("$name"); fi
}

# Only vf_* functions are exported, and exactly the functions the header declares.
exports_match_header() {
  local exported declared
  exported=$(x86_64-w64-mingw32-objdump -p "$WIN_TEST_DIR/vidiflow_auth.dll" |
    sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/s/^\t\[ *[0-9]*\] //p' | sort)
  declared=$(grep -oE '\bvf_[a-z0-9_]+\(' "$root/include/vidiflow_auth.h" | tr -d '(' | sort -u)
  if [ "$exported" != "$declared" ]; then
    echo "FAIL: the DLL's exports differ from the header's functions:"
    diff <(echo "$declared") <(echo "$exported") | sed 's/^/      /'
    return 1
  fi
  echo "$(wc -l <<<"$exported") exports, all vf_*, the same as vidiflow_auth.h declares"
}

# The DLL needs only Windows' own DLLs: no mingw runtime (libgcc_s_seh-1.dll, libwinpthread-1.dll,
# libstdc++-6.dll) that a Windows host would lack.
imports_only_system_dlls() {
  local imported
  imported=$(x86_64-w64-mingw32-objdump -p "$WIN_TEST_DIR/vidiflow_auth.dll" | sed -n 's/^\tDLL Name: //p' | sort -fu)
  if grep -qi '^lib' <<<"$imported"; then
    echo "FAIL: vidiflow_auth.dll imports a mingw runtime DLL:" $(grep -i '^lib' <<<"$imported")
    return 1
  fi
  echo "imports only system DLLs:" $imported
}

# token_requests on the authority's counter.
token_requests() {
  curl --noproxy '*' -fsS "$VF_TEST_STATS" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_requests"])'
}

# A herd of Windows threads on an empty cache: one token request reaches the authority.
herd_sends_one_request() {
  local before after
  before=$(token_requests) || return 1
  "$wine" "$WIN_TEST_DIR/herd_test.exe" || return 1
  after=$(token_requests) || return 1
  echo "the authority saw $((after - before)) token request(s) for the herd"
  [ $((after - before)) = 1 ]
}

# Wrappers that run the Windows programs under wine, for tests/cli/test_cli.sh. Named vf-token
# so that examples/shell/curl_with_token.sh finds it on PATH. c_message.exe prints through the
# C runtime's text mode (CRLF line ends): the wrapper drops the CR, vf-token's output stays as is.
mkdir -p "$work/bin"
printf '#!/bin/sh\nexec %s %s "$@"\n' "$wine" "$WIN_TEST_DIR/vf-token.exe" >"$work/bin/vf-token"
printf '#!/bin/bash\nset -o pipefail\n%s %s "$@" | tr -d "\\r"\n' "$wine" "$WIN_TEST_DIR/c_message.exe" \
  >"$work/bin/c_message"
chmod +x "$work/bin/vf-token" "$work/bin/c_message"

suite "exports of vidiflow_auth.dll" exports_match_header
suite "imports of vidiflow_auth.dll" imports_only_system_dlls
suite "version resource of vidiflow_auth.dll (version_test.exe)" \
  "$wine" "$WIN_TEST_DIR/version_test.exe" "$WIN_TEST_DIR/vidiflow_auth.dll"
suite "C contract test (contract_test.exe)" "$wine" "$WIN_TEST_DIR/contract_test.exe"
suite "C++ test (cpp_client_test.exe)" "$wine" "$WIN_TEST_DIR/cpp_client_test.exe"
suite "herd of Windows threads (herd_test.exe)" herd_sends_one_request
suite "vf-token.exe on a console: the secret is not echoed" \
  python3 "$here/console_secret.py" "$wine" "$WIN_TEST_DIR/vf-token.exe"
suite "vf-token.exe (tests/cli/test_cli.sh)" \
  env VF_TOKEN="$work/bin/vf-token" VF_C_MESSAGE="$work/bin/c_message" "$root/tests/cli/test_cli.sh"

if [ ${#failed_suites[@]} -gt 0 ]; then
  printf 'FAILED under wine: %s\n' "${failed_suites[@]}"
  exit 1
fi
echo "Windows build under wine: all suites passed"
