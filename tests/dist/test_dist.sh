#!/usr/bin/env bash
# The artifacts of `make dist`, each installed on a clean prefix and used as a consumer would,
# against the dev authority; and the test suites run against their glibc 2.28 build:
#
#   tarball   unpacked in a temporary folder: layout, SONAME links, the glibc floor; a C program
#             built through pkg-config (shared and static) and through CMake; the C contract test
#             (valgrind), the C++ test and the CLI tests built against it; moved elsewhere, still
#             found by pkg-config and CMake
#   wheel     auditwheel's verdict, the library stripped and at the floor; installed into a fresh
#             venv with pip, the binding's pytest suite run against it
#   nupkg     the nuspec's metadata; installed with Debian's `nuget install`, a program compiled
#             against it with mcs and run under Mono, the native library found in the package's
#             runtimes/linux-x64/native/; the binding's C# test program against that library
#
#   DIST_DIR=target/dist DIST_GLIBC=2.28 DIST_WHEEL_PLATFORM=manylinux_2_28_x86_64 \
#     CSHARP_TESTS=target/make/csharp/VidiFlow.Auth.Tests.exe tests/dist/test_dist.sh
#
# (make test-dist sets these.) Programs run with LD_LIBRARY_PATH and VF_LIBRARY_PATH unset, so
# each check proves which library was loaded. Prints "FAIL: ..." per failed check and
# "N passed, N failed" last; exits 1 on any failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
: "${DIST_DIR:?set DIST_DIR to the folder make dist wrote}"
: "${DIST_GLIBC:?set DIST_GLIBC (2.28)}"
: "${DIST_WHEEL_PLATFORM:?set DIST_WHEEL_PLATFORM (manylinux_2_28_x86_64)}"
: "${CSHARP_TESTS:?set CSHARP_TESTS to the C# test program (make build-csharp)}"
PYTHON=${PYTHON:-python3} CC=${CC:-cc} CXX=${CXX:-c++}
with_authority=$root/tests/with-authority.sh
check_glibc=$root/packaging/dist/check-glibc.sh
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
name=vidiflow-auth-$version-linux-x86_64
tarball=$DIST_DIR/$name.tar.gz
wheel=$DIST_DIR/vidiflow_auth-$version-py3-none-$DIST_WHEEL_PLATFORM.whl
nupkg=$DIST_DIR/VidiFlow.Auth.$version.nupkg

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() {
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
is() { [ "$1" = "$2" ]; }
has() { [[ $1 == *"$2"* ]]; }
quietly() { "$@" >/dev/null 2>&1; }
not() { ! "$@"; }
# Runs a command against the dev authority from an empty folder, with no library path set.
against_authority() { (cd "$work" && env -u LD_LIBRARY_PATH -u VF_LIBRARY_PATH "$with_authority" "$@"); }
# The libvidiflow_auth a binary loads, as the dynamic loader resolves it.
loads() { env -u LD_LIBRARY_PATH ldd "$1" | awk '$1 ~ /^libvidiflow_auth/ { print $3 }'; }
# A file's section headers name no symbol table: it is stripped.
stripped() { ! readelf -S -W "$1" | grep -qE '\] \.symtab '; }
at_floor() { quietly "$check_glibc" "$DIST_GLIBC" "$@"; }
# Runs a test program (output shown on failure) and succeeds when it does.
suite() { # suite NAME COMMAND...
  local name=$1 log=$work/$1.log; shift
  if "$@" >"$log" 2>&1; then echo "   $name: $(tail -n 1 "$log")"; else cat "$log"; return 1; fi
}

for artifact in "$tarball" "$wheel" "$nupkg"; do
  check "make dist wrote $(basename "$artifact")" test -s "$artifact"
done

echo "== the tarball, unpacked in a temporary folder"
mkdir -p "$work/unpacked" && tar -xzf "$tarball" -C "$work/unpacked"
tree=$work/unpacked/$name
lib=$tree/lib
for file in "lib/libvidiflow_auth.so.$version" lib/libvidiflow_auth.a include/vidiflow_auth.h include/vidiflow_auth.hpp \
  lib/pkgconfig/vidiflow_auth.pc lib/cmake/vidiflow_auth/vidiflow_authConfig.cmake \
  lib/cmake/vidiflow_auth/vidiflow_authConfigVersion.cmake bin/vf-token README.md LICENSE-MIT LICENSE-APACHE \
  THIRD-PARTY-LICENSES.md; do
  check "in the tarball: $file" test -f "$tree/$file"
done
check "libvidiflow_auth.so.$major -> libvidiflow_auth.so.$version" \
  is "$(readlink "$lib/libvidiflow_auth.so.$major")" "libvidiflow_auth.so.$version"
check "libvidiflow_auth.so -> libvidiflow_auth.so.$major" is "$(readlink "$lib/libvidiflow_auth.so")" "libvidiflow_auth.so.$major"
check "the SONAME is libvidiflow_auth.so.$major" \
  has "$(readelf -d "$lib/libvidiflow_auth.so.$version")" "Library soname: [libvidiflow_auth.so.$major]"
check "the library needs no glibc newer than $DIST_GLIBC" at_floor "$lib/libvidiflow_auth.so.$version"
check "vf-token needs no glibc newer than $DIST_GLIBC" at_floor "$tree/bin/vf-token"
check "the library and vf-token are stripped" stripped "$lib/libvidiflow_auth.so.$version"
check "vf-token is stripped" stripped "$tree/bin/vf-token"
check "the header is the repository's" cmp -s "$tree/include/vidiflow_auth.h" include/vidiflow_auth.h
check "no file in the tarball names the build machine's folders" not grep -rqF -e "$root" -e "$HOME" \
  "$lib/pkgconfig" "$lib/cmake"

echo "== pkg-config, from wherever the tarball was unpacked"
export PKG_CONFIG_PATH=$lib/pkgconfig
check "pkg-config validates the .pc file" pkg-config --validate vidiflow_auth
check "pkg-config --modversion is $version" is "$(pkg-config --modversion vidiflow_auth)" "$version"
cflags_dir=$(pkg-config --cflags-only-I vidiflow_auth | sed 's/^-I//; s/[[:space:]]*$//')
check "pkg-config's include folder is the tarball's" is "$(realpath "$cflags_dir")" "$tree/include"
libs_dir=$(pkg-config --variable=libdir vidiflow_auth)
check "pkg-config's libdir is the tarball's" is "$(realpath "$libs_dir")" "$lib"
rpath=-Wl,-rpath,$libs_dir
# shellcheck disable=SC2046 # word splitting of pkg-config output is how it is used
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags vidiflow_auth) examples/c/get_token.c \
  -o "$work/get_token_c" $(pkg-config --libs vidiflow_auth) "$rpath"
check "examples/c/get_token.c builds through pkg-config" test -x "$work/get_token_c"
check "it loads the tarball's library" is "$(realpath "$(loads "$work/get_token_c")")" "$lib/libvidiflow_auth.so.$version"
check "it gets a token from the dev authority" has "$(against_authority "$work/get_token_c" 2>&1)" "Authorization: Bearer "
private=$(pkg-config --static --libs-only-l vidiflow_auth | sed 's/-lvidiflow_auth//')
# shellcheck disable=SC2046,SC2086
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags vidiflow_auth) examples/c/get_token.c \
  -o "$work/get_token_static" "$lib/libvidiflow_auth.a" $private
check "it links statically with the tarball's .a and pkg-config --static" test -x "$work/get_token_static"
check "the static build gets a token" has "$(against_authority "$work/get_token_static" 2>&1)" "Authorization: Bearer "

echo "== CMake find_package, from wherever the tarball was unpacked"
cmake_build() { # cmake_build DIR PREFIX ARGS...: configure and build examples/cmake
  local dir=$1 prefix=$2; shift 2
  cmake -S examples/cmake -B "$dir" -DCMAKE_PREFIX_PATH="$prefix" "$@" >"$dir.log" 2>&1 &&
    cmake --build "$dir" >>"$dir.log" 2>&1 || { cat "$dir.log"; return 1; }
}
check "examples/cmake configures and builds against the tarball" cmake_build "$work/cmake" "$tree"
check "CMake found the tarball's package" grep -q "vidiflow_auth $version from $lib/cmake/vidiflow_auth" "$work/cmake.log"
check "the CMake build loads the tarball's library" is "$(realpath "$(loads "$work/cmake/get_token_c")")" "$lib/libvidiflow_auth.so.$version"
check "the CMake-built C example gets a token" has "$(against_authority "$work/cmake/get_token_c" 2>&1)" "Authorization: Bearer "
check "the CMake-built C++ example gets a token" has "$(against_authority "$work/cmake/get_token_cpp" 2>&1)" "Authorization: Bearer "

echo "== the test suites against the tarball's glibc $DIST_GLIBC build"
# shellcheck disable=SC2046
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic -g $(pkg-config --cflags vidiflow_auth) tests/c/contract_test.c \
  -o "$work/contract_test" $(pkg-config --libs vidiflow_auth) -lpthread "$rpath"
check "tests/c/contract_test.c (valgrind)" suite contract against_authority valgrind --quiet --leak-check=full \
  --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=99 "$work/contract_test"
# shellcheck disable=SC2046
"$CXX" -std=c++17 -Wall -Wextra -Werror -pedantic -g $(pkg-config --cflags vidiflow_auth) tests/cpp/client_test.cpp \
  tests/cpp/second_unit.cpp -o "$work/cpp_client_test" $(pkg-config --libs vidiflow_auth) -pthread "$rpath"
check "tests/cpp/client_test.cpp" suite cpp against_authority "$work/cpp_client_test"
# shellcheck disable=SC2046
"$CC" -std=c11 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags vidiflow_auth) tests/cli/c_message.c \
  -o "$work/cli_c_message" $(pkg-config --libs vidiflow_auth) "$rpath"
check "tests/cli/test_cli.sh with the tarball's vf-token" suite cli env -u LD_LIBRARY_PATH -u VF_LIBRARY_PATH \
  VF_TOKEN="$tree/bin/vf-token" VF_C_MESSAGE="$work/cli_c_message" "$with_authority" tests/cli/test_cli.sh

echo "== the tarball moved to another folder"
mkdir -p "$work/moved" && mv "$tree" "$work/moved/"
moved=$work/moved/$name
export PKG_CONFIG_PATH=$moved/lib/pkgconfig
check "pkg-config follows the move" is "$(realpath "$(pkg-config --variable=includedir vidiflow_auth)")" "$moved/include"
check "CMake finds the moved package" cmake_build "$work/cmake-moved" "$moved"
check "the moved build loads the moved library" \
  is "$(realpath "$(loads "$work/cmake-moved/get_token_c")")" "$moved/lib/libvidiflow_auth.so.$version"
unset PKG_CONFIG_PATH

echo "== the wheel"
mkdir -p "$work/wheel" && (cd "$work/wheel" && "$PYTHON" -m zipfile -e "$wheel" .)
wheel_lib=$work/wheel/vidiflow_auth/libvidiflow_auth.so
check "the wheel carries the library" test -f "$wheel_lib"
check "the wheel's library needs no glibc newer than $DIST_GLIBC" at_floor "$wheel_lib"
check "the wheel's library is stripped" stripped "$wheel_lib"
check "the wheel's library is the tarball's" cmp -s "$wheel_lib" "$moved/lib/libvidiflow_auth.so.$version"
check "the wheel is tagged $DIST_WHEEL_PLATFORM" grep -qx "Tag: py3-none-$DIST_WHEEL_PLATFORM" \
  "$work/wheel/vidiflow_auth-$version.dist-info/WHEEL"
venv=$work/venv
"$PYTHON" -m venv "$venv"
check "pip installs the wheel into a fresh venv" quietly "$venv/bin/python" -m pip install --disable-pip-version-check \
  --no-deps --only-binary :all: "$wheel"
check "pip installs the test requirements" quietly "$venv/bin/python" -m pip install --disable-pip-version-check \
  -r bindings/python/requirements-test.txt
loaded=$(cd "$work" && env -u VF_LIBRARY_PATH "$venv/bin/python" -c 'import vidiflow_auth; print(vidiflow_auth.library_path)')
check "the installed package loads the wheel's library from the venv" has "$loaded" "$venv/"
check "bindings/python's pytest suite against the installed wheel" suite python \
  bash -c 'cd bindings/python && env -u VF_LIBRARY_PATH NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost" \
    "$1" -m pytest -p no:cacheprovider -q' _ "$venv/bin/python"

echo "== the NuGet package"
nuspec=$(cd "$work" && "$PYTHON" -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("VidiFlow.Auth.nuspec").decode())' "$nupkg")
check "nuspec: id and version" has "$nuspec" "<id>VidiFlow.Auth</id>"
check "nuspec: version $version" has "$nuspec" "<version>$version</version>"
check "nuspec: licence expression" has "$nuspec" '<license type="expression">MIT OR Apache-2.0</license>'
check "nuspec: the README" has "$nuspec" "<readme>README.md</readme>"
check "nuspec: no placeholder (project URL, TODO, example)" not grep -qiE 'projectUrl|TODO|example\.|@[A-Z]+@' <<<"$nuspec"
packages=$work/nuget-packages
check "nuget install VidiFlow.Auth -Source $DIST_DIR" quietly env HOME="$work/nuget-home" \
  nuget install VidiFlow.Auth -Version "$version" -Source "$DIST_DIR" -OutputDirectory "$packages" -NonInteractive
package=$packages/VidiFlow.Auth.$version
for file in lib/netstandard2.0/VidiFlow.Auth.dll lib/netstandard2.0/VidiFlow.Auth.xml \
  runtimes/linux-x64/native/libvidiflow_auth.so README.md LICENSE-MIT.txt LICENSE-APACHE.txt; do
  check "in the installed package: $file" test -f "$package/$file"
done
package_native=$package/runtimes/linux-x64/native
check "the package's library needs no glibc newer than $DIST_GLIBC" at_floor "$package_native/libvidiflow_auth.so"
check "the package's library is the tarball's" cmp -s "$package_native/libvidiflow_auth.so" \
  "$moved/lib/libvidiflow_auth.so.$version"
mkdir -p "$work/app"
check "a program compiles against the package with mcs" quietly mcs -langversion:7.2 -warnaserror+ -nologo \
  -out:"$work/app/NuGetConsumer.exe" -r:"$package/lib/netstandard2.0/VidiFlow.Auth.dll" tests/dist/NuGetConsumer.cs
# The assembly is used from the package folder (MONO_PATH), not copied next to the program.
out=$(MONO_PATH=$package/lib/netstandard2.0 against_authority mono "$work/app/NuGetConsumer.exe" 2>&1)
check "under Mono it gets a token ($out)" has "$out" "token type Bearer"
check "under Mono the library comes from the package's runtimes/linux-x64/native" \
  has "$out" "mapped $package_native/libvidiflow_auth.so"
check "bindings/csharp's test program against the package's library" suite csharp \
  env -u LD_LIBRARY_PATH VF_LIBRARY_PATH="$package_native" VF_TEST_NATIVE_DIR="$package_native" \
  "$with_authority" mono --debug "$CSHARP_TESTS"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
