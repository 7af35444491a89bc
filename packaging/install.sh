#!/usr/bin/env bash
# Installs or removes vidiflow-auth; `make install` and `make uninstall` (mk/cli.mk) call it.
#
#   packaging/install.sh install|uninstall --prefix DIR [--destdir DIR] [--bindir DIR]
#       [--libdir DIR] [--includedir DIR] [--version X.Y.Z --from CARGO_RELEASE_DIR]
#
# Lays out, under DESTDIR (empty by default):
#   LIBDIR/libvidiflow_auth.so.X.Y.Z, .so.X -> .so.X.Y.Z, .so -> .so.X, and libvidiflow_auth.a
#   INCLUDEDIR/vidiflow_auth.h and vidiflow_auth.hpp
#   LIBDIR/pkgconfig/vidiflow_auth.pc
#   LIBDIR/cmake/vidiflow_auth/vidiflow_authConfig.cmake and vidiflow_authConfigVersion.cmake
#   BINDIR/vf-token
# The generated files name PREFIX, never DESTDIR, so a staged tree installs anywhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

die() { echo "install.sh: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 install|uninstall --prefix DIR [options]"
action=$1; shift
prefix='' destdir='' bindir='' libdir='' includedir='' version='' from=''
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value"
  case $1 in
    --prefix) prefix=$2 ;;
    --destdir) destdir=$2 ;;
    --bindir) bindir=$2 ;;
    --libdir) libdir=$2 ;;
    --includedir) includedir=$2 ;;
    --version) version=$2 ;;
    --from) from=$2 ;;
    *) die "unknown option $1" ;;
  esac
  shift 2
done
[ -n "$prefix" ] || die "--prefix is required"
prefix=${prefix%/}
bindir=${bindir:-$prefix/bin}
libdir=${libdir:-$prefix/lib}
includedir=${includedir:-$prefix/include}
for dir in "$prefix" "$bindir" "$libdir" "$includedir"; do
  case $dir in /*) ;; *) die "install directories must be absolute paths: '$dir'" ;; esac
done
cmakedir=$libdir/cmake/vidiflow_auth

# Removes what `install` puts down, every version of the library included.
uninstall() {
  local lib=$destdir$libdir
  rm -f "$lib"/libvidiflow_auth.so "$lib"/libvidiflow_auth.so.* "$lib/libvidiflow_auth.a" \
    "$destdir$includedir/vidiflow_auth.h" "$destdir$includedir/vidiflow_auth.hpp" \
    "$lib/pkgconfig/vidiflow_auth.pc" \
    "$destdir$cmakedir/vidiflow_authConfig.cmake" "$destdir$cmakedir/vidiflow_authConfigVersion.cmake" \
    "$destdir$bindir/vf-token"
  if [ -d "$destdir$cmakedir" ]; then rmdir "$destdir$cmakedir" 2>/dev/null || true; fi
}

if [ "$action" = uninstall ]; then
  uninstall
  echo "removed vidiflow-auth from ${destdir}${prefix}"
  exit 0
fi
[ "$action" = install ] || die "the action is install or uninstall, not '$action'"

[[ $version =~ ^([0-9]+)\.([0-9]+)\.[0-9]+ ]] || die "--version X.Y.Z is required to install"
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
[ -n "$from" ] || die "--from (the cargo release directory) is required to install"
for file in libvidiflow_auth.so libvidiflow_auth.a vf-token; do
  [ -f "$from/$file" ] || die "$from/$file is missing: run 'cargo build --release' first"
done
soname=libvidiflow_auth.so.$major
# Without a SONAME, programs would record whatever path they were linked with.
if ! readelf -d "$from/libvidiflow_auth.so" | grep -qF "Library soname: [$soname]"; then
  die "$from/libvidiflow_auth.so has no SONAME $soname; build.rs must pass -Wl,-soname,$soname to release builds"
fi

# A path as the generated files write it: relative to ${prefix} when inside it.
under_prefix() { case $1 in "$prefix"/*) printf '%s' "\${prefix}${1#"$prefix"}" ;; *) printf '%s' "$1" ;; esac; }

# generate TEMPLATE DEST: copies TEMPLATE with its @NAME@ placeholders filled in.
generate() {
  local text
  text=$(<"$1")
  text=${text//@PREFIX@/"$prefix"}
  text=${text//@LIBDIR@/"$(under_prefix "$libdir")"}
  text=${text//@INCLUDEDIR@/"$(under_prefix "$includedir")"}
  text=${text//@INCLUDEDIR_FROM_HERE@/"$(realpath -m --relative-to="$cmakedir" "$includedir")"}
  text=${text//@VERSION@/"$version"}
  text=${text//@MAJOR@/"$major"}
  text=${text//@MINOR@/"$minor"}
  text=${text//@SIZEOF_VOID_P@/"$(($(getconf LONG_BIT) / 8))"}
  [[ $text != *@[A-Z_]*@* ]] || die "$1: a placeholder was left unfilled"
  printf '%s\n' "$text" >"$2.tmp"
  chmod 0644 "$2.tmp"
  mv -f "$2.tmp" "$2"
}

lib=$destdir$libdir
install -d "$lib" "$lib/pkgconfig" "$destdir$cmakedir" "$destdir$includedir" "$destdir$bindir"
rm -f "$lib"/libvidiflow_auth.so.*  # an older version's files
install -m 0755 "$from/libvidiflow_auth.so" "$lib/libvidiflow_auth.so.$version"
ln -sfn "libvidiflow_auth.so.$version" "$lib/$soname"
ln -sfn "$soname" "$lib/libvidiflow_auth.so"
install -m 0644 "$from/libvidiflow_auth.a" "$lib/libvidiflow_auth.a"
install -m 0644 "$root/include/vidiflow_auth.h" "$root/include/vidiflow_auth.hpp" "$destdir$includedir/"
generate "$here/vidiflow_auth.pc.in" "$lib/pkgconfig/vidiflow_auth.pc"
generate "$here/vidiflow_authConfig.cmake.in" "$destdir$cmakedir/vidiflow_authConfig.cmake"
generate "$here/vidiflow_authConfigVersion.cmake.in" "$destdir$cmakedir/vidiflow_authConfigVersion.cmake"
install -m 0755 "$from/vf-token" "$destdir$bindir/vf-token"

# The loader's cache must learn of the new library when it lives in a directory the cache
# covers (like /usr/local/lib); never for a staged (DESTDIR) or private install.
if [ -z "$destdir" ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null &&
  ldconfig -v -N 2>/dev/null | grep -qx "$libdir:.*"; then
  ldconfig
fi
echo "installed vidiflow-auth $version into ${destdir}${prefix}"
