#!/usr/bin/env bash
# packaging/dist/check-glibc.sh, the guard `make dist` puts on its glibc 2.28 build, proved able
# to fail: on binaries linked against this machine's glibc it must pass at that glibc's version,
# fail (listing the symbols) at a floor below what they need, and refuse bad input.
#
#   tests/dist/test_check_glibc.sh FILE...    (make test-dist-check runs it on target/release)
#
# Prints "FAIL: ..." per failed check and "N passed, N failed" last; exits 1 on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
check_glibc=$root/packaging/dist/check-glibc.sh
[ $# -ge 1 ] || { echo "usage: $0 FILE..." >&2; exit 2; }
passed=0 failed=0
check() {
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
status_is() { # status_is N COMMAND...: COMMAND exits with status N
  local want=$1; shift
  "$@" >/dev/null 2>&1
  [ $? = "$want" ]
}

host=$(getconf GNU_LIBC_VERSION | awk '{ print $2 }')
for file in "$@"; do
  # What the file needs at most, as objdump lists it.
  needs=$(objdump -T "$file" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' | sed 's/^GLIBC_//' | sort -uV | tail -n 1)
  check "$file: objdump lists versioned glibc symbols" test -n "$needs"
  check "$file passes at this machine's glibc $host" status_is 0 "$check_glibc" "$host" "$file"
  check "$file passes at exactly what it needs ($needs)" status_is 0 "$check_glibc" "$needs" "$file"
  out=$("$check_glibc" 2.0 "$file" 2>&1)
  rc=$?
  check "$file fails at a floor of 2.0 (exit 1, was $rc)" test "$rc" = 1
  check "$file: the failure names a symbol above the floor" grep -qE "^  GLIBC_2\.[0-9.]+ [A-Za-z_]" <<<"$out"
done
check "a file that is not ELF is an error (exit 2)" status_is 2 "$check_glibc" 2.28 "$root/README.md"
check "a floor that is not a version is an error (exit 2)" status_is 2 "$check_glibc" latest "$1"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
