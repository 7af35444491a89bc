#!/usr/bin/env bash
# Writes the module-definition (.def) file of a DLL from its export table, for dlltool (or
# Visual C++'s `lib /def:`) to make an import library from:
#
#   packaging/windows/def-from-dll.sh target/.../vidiflow_auth.dll > vidiflow_auth.def
#
# The exports come from the DLL itself, so the .def cannot drift from it. Fails if the DLL
# exports anything but vf_* functions.
set -euo pipefail
dll=${1:?usage: $0 DLL}
objdump=${OBJDUMP:-x86_64-w64-mingw32-objdump}
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$(dirname "$0")/../../Cargo.toml" | head -n 1)

# The [Ordinal/Name Pointer] table lists one "[ N] name" line per exported name.
names=$("$objdump" -p "$dll" | sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/s/^\t\[ *[0-9]*\] //p')
[ -n "$names" ] || { echo "$0: $dll exports nothing" >&2; exit 1; }
if stray=$(grep -v '^vf_[a-z0-9_]*$' <<<"$names"); then
  echo "$0: $dll exports names outside vf_*: $stray" >&2
  exit 1
fi

echo "; vidiflow-auth $version: the functions vidiflow_auth.dll exports (see vidiflow_auth.h)."
echo "LIBRARY vidiflow_auth.dll"
echo "EXPORTS"
sed 's/^/    /' <<<"$names"
