#!/usr/bin/env bash
# Builds the manylinux wheel of the Python binding around a given (glibc 2.28, stripped) library
# and has auditwheel confirm the tag; `make dist` calls it.
#
#   packaging/dist/wheel.sh --python VENV_PYTHON --library LIBRARY --platform manylinux_2_28_x86_64 --out DIR
#
# The binding holds no CPython extension, so the wheel is py3-none-PLATFORM (one wheel for every
# Python 3). VENV_PYTHON is a venv with auditwheel (target/dist-venv). Fails when auditwheel
# judges the wheel's library to need a newer platform than PLATFORM.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
die() { echo "wheel.sh: $*" >&2; exit 1; }

python='' library='' platform='' out=''
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value"
  case $1 in
    --python) python=$2 ;;
    --library) library=$2 ;;
    --platform) platform=$2 ;;
    --out) out=$2 ;;
    *) die "unknown option $1" ;;
  esac
  shift 2
done
[ -n "$python" ] && [ -n "$library" ] && [ -n "$platform" ] && [ -n "$out" ] ||
  die "usage: $0 --python VENV_PYTHON --library LIBRARY --platform TAG --out DIR"
[[ $platform =~ ^manylinux_[0-9]+_[0-9]+_x86_64$ ]] || die "'$platform' is not a manylinux_X_Y_x86_64 tag"
[ -f "$library" ] || die "$library is missing"
library=$(realpath "$library")

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
# setup.py takes the library from VF_PREBUILT_LIBRARY; bdist_wheel's --plat-name sets the tag.
VF_PREBUILT_LIBRARY=$library "$python" -m pip wheel --quiet --disable-pip-version-check --no-deps \
  -C--build-option=--plat-name="$platform" -w "$build" "$root/bindings/python"
wheels=("$build"/*.whl)
[ ${#wheels[@]} = 1 ] && [ -f "${wheels[0]}" ] || die "pip wheel made ${#wheels[@]} wheels, not one"
wheel=${wheels[0]}
case $(basename "$wheel") in *-py3-none-"$platform".whl) ;; *) die "unexpected wheel name $(basename "$wheel")" ;; esac

# auditwheel names the most widely compatible tag the wheel's binaries allow.
report=$("$python" -m auditwheel show "$wheel")
echo "$report"
# Its report wraps lines; joined, it must say the wheel is consistent with the tag asked for.
grep -qF "consistent with the following platform tag: \"$platform\"" <<<"$(tr '\n' ' ' <<<"$report")" ||
  die "auditwheel does not accept the wheel as $platform"
mkdir -p "$out"
rm -f "$out"/vidiflow_auth-*.whl
cp "$wheel" "$out/"
echo "$out/$(basename "$wheel")"
