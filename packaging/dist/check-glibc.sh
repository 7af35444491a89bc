#!/usr/bin/env bash
# Fails when a binary needs a glibc newer than the floor: reads the versioned symbols each file
# imports (objdump -T) and compares the highest GLIBC_x.y with it.
#
#   packaging/dist/check-glibc.sh 2.28 FILE...
#
# Prints one line per file (its highest GLIBC_ version, and the symbols above the floor if any);
# exits 1 if any file is above the floor, 2 on bad usage or a file objdump cannot read.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 MAX_GLIBC_VERSION FILE..." >&2; exit 2; }
floor=$1; shift
[[ $floor =~ ^[0-9]+\.[0-9]+$ ]] || { echo "check-glibc: '$floor' is not a version like 2.28" >&2; exit 2; }

# newer A B: succeeds when version A sorts after version B.
newer() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1)" = "$1" ]; }

status=0
for file in "$@"; do
  symbols=$(objdump -T "$file") || { echo "check-glibc: objdump cannot read $file" >&2; exit 2; }
  # Lines like "0000... DF *UND* 0000... (GLIBC_2.34) pthread_create" or "... GLIBC_2.2.5  memcpy".
  versions=$(grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' <<<"$symbols" | sed 's/^GLIBC_//' | sort -uV)
  if [ -z "$versions" ]; then
    echo "check-glibc: $file imports no versioned glibc symbol; is it a dynamically linked ELF file?" >&2
    exit 2
  fi
  highest=$(tail -n 1 <<<"$versions")
  too_new=$(while read -r v; do if newer "$v" "$floor"; then echo "$v"; fi; done <<<"$versions")
  if [ -n "$too_new" ]; then
    status=1
    echo "$file: needs GLIBC_$highest, above the floor $floor; symbols:"
    for v in $too_new; do
      grep -E "GLIBC_$v([^.0-9]|\$)" <<<"$symbols" | awk -v v="$v" '{ print "  GLIBC_" v " " $NF }'
    done
  else
    echo "$file: highest GLIBC_$highest (floor $floor): ok"
  fi
done
exit $status
