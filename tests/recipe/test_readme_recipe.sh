#!/usr/bin/env bash
# Runs the README's C recipe exactly as written: the shell block after the
# `<!-- recipe: c-from-source -->` marker, from the project root, with the README's `app.c` being
# examples/c/get_token.c, against the dev authority. Fails if the block is gone, if a line fails,
# or if the program does not print a token.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

recipe=$(awk '/<!-- recipe: c-from-source -->/ { found = 1; next }
              found && /^```sh$/ { inside = 1; next }
              inside && /^```$/ { exit }
              inside { print }' README.md)
[ -n "$recipe" ] || { echo "FAIL: README.md has no 'recipe: c-from-source' block" >&2; exit 1; }
echo "== the README's recipe:"; echo "$recipe" | sed 's/^/   /'

# The recipe names app.c and app in the project root; neither may exist already.
for file in app.c app; do
  [ ! -e "$file" ] || { echo "FAIL: $root/$file exists; the recipe would overwrite it" >&2; exit 1; }
done
trap 'rm -f "$root/app.c" "$root/app"' EXIT
cp examples/c/get_token.c app.c

output=$(tests/with-authority.sh bash -euo pipefail -c "$recipe" 2>&1) || {
  echo "$output" >&2; echo "FAIL: the README's recipe failed" >&2; exit 1; }
echo "$output" | tail -n 3
echo "$output" | grep -q "Bearer eyJ" || { echo "FAIL: the program printed no token" >&2; exit 1; }
# It ran against the library the recipe built, through its SONAME link in target/release.
cc examples/c/get_token.c -Iinclude -Ltarget/release -lvidiflow_auth -o app
resolved=$(LD_LIBRARY_PATH=$root/target/release ldd ./app | awk '/libvidiflow_auth/ { print $1, $3 }')
[ "$resolved" = "libvidiflow_auth.so.0 $root/target/release/libvidiflow_auth.so.0" ] ||
  { echo "FAIL: the program loads '$resolved', not target/release's libvidiflow_auth.so.0" >&2; exit 1; }
echo "README recipe: ok (built, linked against target/release, started, got a token)"
