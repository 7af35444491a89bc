#!/usr/bin/env bash
# `make install` into a temporary prefix, then use it as a consumer would: the layout and
# SONAME links, the exported symbols against the header, a C program built with pkg-config
# (shared and static), the C++ example, a CMake project with find_package, the installed
# vf-token, a DESTDIR staging install, and `make uninstall`.
#
#   MAKE=make tests/install/test_install.sh        (make test-install runs it)
#
# Programs are run against the dev authority with LD_LIBRARY_PATH unset: the pkg-config build
# passes -Wl,-rpath with the installed libdir (as a consumer of a private prefix would), and
# CMake gives build-tree binaries an RPATH to the imported library's directory. So each run
# proves that the installed library, not target/, is the one loaded.
#
# Prints "FAIL: ..." per failed check and "N passed, N failed" last; exits 1 on any failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
MAKE=${MAKE:-make} CC=${CC:-cc} CXX=${CXX:-c++}
with_authority=$root/tests/with-authority.sh
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
libdir=$prefix/lib
passed=0 failed=0

check() {
  local what=$1; shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $what"
  fi
}
is() { [ "$1" = "$2" ]; }
has() { [[ $1 == *"$2"* ]]; }
# Runs a command against the dev authority, with no LD_LIBRARY_PATH, from an empty directory.
against_authority() { (cd "$work" && env -u LD_LIBRARY_PATH "$with_authority" "$@"); }
quietly() { "$@" >/dev/null 2>&1; }
not() { ! "$@"; }
# pkg-config output without the trailing blank pkgconf leaves.
pc() { pkg-config "$@" | sed 's/[[:space:]]*$//'; }
# The shared library a binary loads, as the dynamic loader resolves it.
loads() { env -u LD_LIBRARY_PATH ldd "$1" | awk '$1 ~ /^libvidiflow_auth/ { print $3 }'; }

echo "== make install PREFIX=$prefix"
if ! "$MAKE" --no-print-directory install PREFIX="$prefix" >"$work/install.log" 2>&1; then
  cat "$work/install.log"
  echo "0 passed, 1 failed"
  exit 1
fi
tail -n 1 "$work/install.log"

for file in "lib/libvidiflow_auth.so.$version" lib/libvidiflow_auth.a include/vidiflow_auth.h \
  include/vidiflow_auth.hpp lib/pkgconfig/vidiflow_auth.pc lib/cmake/vidiflow_auth/vidiflow_authConfig.cmake \
  lib/cmake/vidiflow_auth/vidiflow_authConfigVersion.cmake bin/vf-token; do
  check "installed: $file" test -f "$prefix/$file"
done
check "libvidiflow_auth.so.$major -> libvidiflow_auth.so.$version" \
  is "$(readlink "$libdir/libvidiflow_auth.so.$major")" "libvidiflow_auth.so.$version"
check "libvidiflow_auth.so -> libvidiflow_auth.so.$major" \
  is "$(readlink "$libdir/libvidiflow_auth.so")" "libvidiflow_auth.so.$major"
check "the SONAME is libvidiflow_auth.so.$major" \
  is "$(readelf -d "$libdir/libvidiflow_auth.so.$version" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')" \
  "libvidiflow_auth.so.$major"
check "the library is executable, headers are not" \
  is "$(stat -c %a "$libdir/libvidiflow_auth.so.$version" "$prefix/include/vidiflow_auth.h" "$prefix/bin/vf-token" | tr '\n' ' ')" \
  "755 644 755 "

echo "== exported symbols"
# Functions the installed header declares: preprocessed, so comments do not count.
"$CC" -E -P -xc "$prefix/include/vidiflow_auth.h" | grep -oE '\bvf_[a-z0-9_]+[[:space:]]*\(' | tr -d ' (' |
  sort -u >"$work/declared"
nm -D --defined-only "$libdir/libvidiflow_auth.so.$version" | awk '{ print $NF }' | sort -u >"$work/exported"
nm --defined-only "$libdir/libvidiflow_auth.a" 2>/dev/null | awk '$2 == "T" && $3 ~ /^vf_/ { print $3 }' |
  sort -u >"$work/static"
check "the header declares functions ($(wc -l <"$work/declared"))" test -s "$work/declared"
check "only vf_* symbols are exported" is "$(grep -v '^vf_' "$work/exported")" ""
check "every exported symbol is declared in the header" is "$(comm -23 "$work/exported" "$work/declared")" ""
check "every declared function is exported" is "$(comm -13 "$work/exported" "$work/declared")" ""
check "the static library defines every declared function" is "$(comm -13 "$work/static" "$work/declared")" ""
check "the installed header is the repository's" cmp -s "$prefix/include/vidiflow_auth.h" include/vidiflow_auth.h

echo "== pkg-config"
export PKG_CONFIG_PATH=$libdir/pkgconfig
check "pkg-config validates the .pc file" pkg-config --validate vidiflow_auth
check "pkg-config --modversion is $version" is "$(pkg-config --modversion vidiflow_auth)" "$version"
check "pkg-config --cflags points into the prefix" is "$(pc --cflags vidiflow_auth)" "-I$prefix/include"
check "pkg-config --libs points into the prefix" is "$(pc --libs vidiflow_auth)" "-L$libdir -lvidiflow_auth"
rpath=-Wl,-rpath,$(pkg-config --variable=libdir vidiflow_auth)
# shellcheck disable=SC2046 # word splitting of pkg-config output is how it is used
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags vidiflow_auth) examples/c/get_token.c \
  -o "$work/get_token_c" $(pkg-config --libs vidiflow_auth) "$rpath"
check "examples/c/get_token.c builds with pkg-config" test -x "$work/get_token_c"
check "it records NEEDED libvidiflow_auth.so.$major" \
  has "$(readelf -d "$work/get_token_c" 2>/dev/null)" "Shared library: [libvidiflow_auth.so.$major]"
check "it loads the installed library" is "$(loads "$work/get_token_c")" "$libdir/libvidiflow_auth.so.$major"
out=$(against_authority "$work/get_token_c" 2>&1)
check "it gets a token from the dev authority" has "$out" "Authorization: Bearer "

# Static: the archive itself, plus the Libs.private the .pc file lists.
private=$(pkg-config --static --libs-only-l vidiflow_auth | sed 's/-lvidiflow_auth//')
# shellcheck disable=SC2046,SC2086
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags vidiflow_auth) examples/c/get_token.c \
  -o "$work/get_token_static" "$libdir/libvidiflow_auth.a" $private
check "it links statically with pkg-config --static" test -x "$work/get_token_static"
check "the static build needs no libvidiflow_auth.so" is "$(loads "$work/get_token_static")" ""
out=$(against_authority "$work/get_token_static" 2>&1)
check "the static build gets a token" has "$out" "Authorization: Bearer "

# shellcheck disable=SC2046
"$CXX" -std=c++17 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags vidiflow_auth) examples/cpp/get_token.cpp \
  -o "$work/get_token_cpp" $(pkg-config --libs vidiflow_auth) "$rpath"
out=$(against_authority "$work/get_token_cpp" 2>&1)
check "examples/cpp/get_token.cpp, built with pkg-config, gets a token" has "$out" "Authorization: Bearer "

echo "== CMake find_package"
cmake_build() { # cmake_build DIR ARGS...: configure and build examples/cmake
  local dir=$1; shift
  cmake -S examples/cmake -B "$dir" -DCMAKE_PREFIX_PATH="${CMAKE_PREFIX:-$prefix}" "$@" >"$dir.log" 2>&1 &&
    cmake --build "$dir" >>"$dir.log" 2>&1 || { cat "$dir.log"; return 1; }
}
check "examples/cmake configures and builds" cmake_build "$work/cmake"
check "CMake found the installed package" grep -q "vidiflow_auth $version from $libdir/cmake/vidiflow_auth" "$work/cmake.log"
check "the CMake build loads the installed library" is "$(loads "$work/cmake/get_token_c")" "$libdir/libvidiflow_auth.so.$major"
out=$(against_authority "$work/cmake/get_token_c" 2>&1)
check "the CMake-built C example gets a token" has "$out" "Authorization: Bearer "
out=$(against_authority "$work/cmake/get_token_cpp" 2>&1)
check "the CMake-built C++ example gets a token" has "$out" "Authorization: Bearer "
check "examples/cmake builds against vidiflow_auth::vidiflow_auth_static" \
  cmake_build "$work/cmake-static" -DVF_LINK_STATIC=ON
check "the static CMake build needs no libvidiflow_auth.so" is "$(loads "$work/cmake-static/get_token_cpp")" ""
out=$(against_authority "$work/cmake-static/get_token_cpp" 2>&1)
check "the static CMake build gets a token" has "$out" "Authorization: Bearer "
# find_package's version check, with a minimal project per request.
find_version() { # find_version REQUEST: succeeds if find_package(vidiflow_auth REQUEST) does
  local dir=$work/find-$1
  mkdir -p "$dir"
  printf 'cmake_minimum_required(VERSION 3.19)\nproject(v LANGUAGES C)\nfind_package(vidiflow_auth %s CONFIG REQUIRED)\n' \
    "$1" >"$dir/CMakeLists.txt"
  cmake -S "$dir" -B "$dir/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1
}
minor_version=$(cut -d. -f1,2 <<<"$version")
check "find_package accepts $minor_version" find_version "$minor_version"
check "find_package accepts the range $minor_version...99" find_version "$minor_version...99"
check "find_package refuses $((major + 1)).0" not find_version "$((major + 1)).0"
check "find_package refuses 99.0" not find_version 99.0
if [ "$major" = 0 ]; then
  next_minor=0.$(($(cut -d. -f2 <<<"$version") + 1))
  check "find_package refuses $next_minor (0.x minor versions may break)" not find_version "$next_minor"
fi

echo "== the installed vf-token"
check "vf-token --version is $version" is "$("$prefix/bin/vf-token" --version)" "vf-token $version"
out=$(against_authority "$prefix/bin/vf-token" --header 2>&1)
check "the installed vf-token prints a header" has "$out" "Authorization: Bearer "
check "vf-token links no libvidiflow_auth.so (the library is built in)" is "$(loads "$prefix/bin/vf-token")" ""

echo "== make install again (idempotent), DESTDIR, make uninstall"
check "a second install succeeds" quietly "$MAKE" --no-print-directory install PREFIX="$prefix"
check "the second install leaves the links in place" \
  is "$(readlink "$libdir/libvidiflow_auth.so")" "libvidiflow_auth.so.$major"
stage=$work/stage
check "make install DESTDIR=... PREFIX=/opt/vf succeeds" \
  quietly "$MAKE" --no-print-directory install DESTDIR="$stage" PREFIX=/opt/vf
check "DESTDIR: files land under DESTDIR" test -f "$stage/opt/vf/lib/libvidiflow_auth.so.$version"
check "DESTDIR: the .pc file names PREFIX, not DESTDIR" grep -qx 'prefix=/opt/vf' "$stage/opt/vf/lib/pkgconfig/vidiflow_auth.pc"
check "DESTDIR: no generated file mentions DESTDIR" not grep -rqF "$stage" "$stage/opt/vf/lib/pkgconfig" "$stage/opt/vf/lib/cmake"
CMAKE_PREFIX=$stage/opt/vf check "the CMake package is relocatable: used from the DESTDIR stage" \
  cmake_build "$work/cmake-staged"
check "make uninstall DESTDIR=... succeeds" \
  quietly "$MAKE" --no-print-directory uninstall DESTDIR="$stage" PREFIX=/opt/vf
check "DESTDIR: uninstall leaves no file behind" is "$(find "$stage" ! -type d)" ""
check "make uninstall succeeds" quietly "$MAKE" --no-print-directory uninstall PREFIX="$prefix"
check "uninstall leaves no file behind" is "$(find "$prefix" ! -type d)" ""
check "uninstall removes the CMake package directory" test ! -e "$libdir/cmake/vidiflow_auth"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
