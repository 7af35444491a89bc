#!/usr/bin/env bash
# Runs one test suite with a time limit, so a hang fails `make test` with a message instead of
# stalling it: tests/bounded.sh SECONDS NAME COMMAND [ARGS...]
#
# `timeout` signals the command's whole process group (test binaries, the dev authority, servers
# a script started), TERM first and KILL 15 s later.
set -uo pipefail
[ $# -ge 3 ] || { echo "usage: $0 SECONDS NAME COMMAND [ARGS...]" >&2; exit 2; }
limit=$1 name=$2
shift 2
timeout --kill-after=15 "$limit" "$@"
status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "$name: stopped after $limit s without finishing (a hang or a deadlock?): FAILED" >&2
fi
exit "$status"
