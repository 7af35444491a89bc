#!/usr/bin/env bash
# Fails if a process started by this `make test` still runs after the suites: every process a
# suite starts inherits VF_TEST_RUN (a random value the Makefile exports), so any process but
# this script's own ancestors that carries it was left behind. Those are listed, then killed.
set -uo pipefail
: "${VF_TEST_RUN:?run from make test, which sets VF_TEST_RUN}"
marker="VF_TEST_RUN=$VF_TEST_RUN"

# This script and the make processes above it carry the marker too.
declare -A mine=()
pid=$$
while [ "$pid" -gt 1 ] 2>/dev/null; do
  mine[$pid]=1
  pid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null) || break
done

left=()
for dir in /proc/[0-9]*; do
  pid=${dir#/proc/}
  [ -n "${mine[$pid]:-}" ] && continue
  {
    while IFS= read -r -d '' entry; do
      if [ "$entry" = "$marker" ]; then
        # A child of this script (awk above) is not a leftover.
        [ "$(awk '{print $4}' "$dir/stat" 2>/dev/null)" = "$$" ] || left+=("$pid")
        break
      fi
    done <"$dir/environ"
  } 2>/dev/null
done

if [ ${#left[@]} -gt 0 ]; then
  echo "leftovers: ${#left[@]} process(es) started by the test suites still run:" >&2
  for pid in "${left[@]}"; do
    echo "  $pid: $(tr '\0\n' '  ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)" >&2
  done
  kill "${left[@]}" 2>/dev/null
  exit 1
fi
echo "leftovers: no process started by the test suites still runs"
