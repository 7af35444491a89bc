"""Build step for the vidiflow-auth wheel: put libvidiflow_auth next to the Python module.

The package's metadata is in pyproject.toml; this file only adds what setuptools cannot say
declaratively:

* ``build_py`` also provides the native library, in this order:
  1. ``VF_PREBUILT_LIBRARY``: the path of an already built ``libvidiflow_auth.so`` (CI builds
     the library once and hands it over);
  2. otherwise ``cargo build --release`` in the Rust crate two directories up (this file lives
     in ``bindings/python`` of the vidiflow-auth repository).
* The wheel is marked platform-specific (``py3-none-<platform>``): it carries a native library
  but no CPython extension, so one wheel serves every Python 3 on that platform.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

from setuptools.command.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
PACKAGE = "vidiflow_auth"


def library_file_name() -> str:
    """The file name the Rust toolchain gives the cdylib on this platform."""
    if sys.platform == "darwin":
        return "libvidiflow_auth.dylib"
    if sys.platform == "win32":
        return "vidiflow_auth.dll"
    return "libvidiflow_auth.so"


def _fail(message: str) -> None:
    raise SystemExit(f"vidiflow-auth build: {message}")


def prebuilt_library() -> Path | None:
    value = os.environ.get("VF_PREBUILT_LIBRARY", "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_file():
        _fail(f"VF_PREBUILT_LIBRARY={value} is not a file")
    return path


def cargo_build() -> Path:
    """Runs ``cargo build --release`` for the crate and returns the cdylib it produced."""
    manifest = REPO_ROOT / "Cargo.toml"
    if not manifest.is_file() or 'name = "vidiflow-auth"' not in manifest.read_text("utf-8"):
        _fail(
            f"the Rust crate is not at {REPO_ROOT} (this build expects bindings/python inside the "
            "vidiflow-auth repository); set VF_PREBUILT_LIBRARY to a built "
            f"{library_file_name()} instead"
        )
    cargo = os.environ.get("CARGO") or shutil.which("cargo")
    if cargo is None:
        fallback = Path.home() / ".cargo" / "bin" / "cargo"
        cargo = str(fallback) if fallback.is_file() else None
    if cargo is None:
        _fail(
            "cargo was not found: install the Rust toolchain, or set VF_PREBUILT_LIBRARY to a "
            f"built {library_file_name()}"
        )
    command = [
        cargo, "build", "--release", "--lib",
        "--manifest-path", str(manifest),
        "--message-format=json-render-diagnostics",
    ]
    print("vidiflow-auth build: " + " ".join(command), file=sys.stderr, flush=True)
    # Diagnostics and progress go to stderr as usual; stdout carries one JSON message per line.
    result = subprocess.run(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, check=False)
    if result.returncode != 0:
        _fail(f"cargo build failed with status {result.returncode} (see the messages above)")
    wanted = library_file_name()
    for line in result.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("reason") != "compiler-artifact":
            continue
        if message.get("target", {}).get("name") != "vidiflow_auth":
            continue
        for file_name in message.get("filenames", []):
            if Path(file_name).name == wanted:
                return Path(file_name)
    _fail(f"cargo build succeeded but reported no {wanted}")
    raise AssertionError("unreachable")


class BuildPyWithLibrary(build_py):
    """build_py that also copies the native library into the package."""

    def run(self) -> None:
        if not getattr(self, "editable_mode", False):
            # setuptools reuses build/: drop what an earlier build left (a renamed module, say).
            shutil.rmtree(Path(self.build_lib) / PACKAGE, ignore_errors=True)
        super().run()
        library = prebuilt_library() or cargo_build()
        if getattr(self, "editable_mode", False):
            # `pip install -e`: the package is imported from src/, so the library goes there.
            target_dir = HERE / "src" / PACKAGE
        else:
            target_dir = Path(self.build_lib) / PACKAGE
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / library_file_name()
        print(f"vidiflow-auth build: {library} -> {target}", file=sys.stderr, flush=True)
        shutil.copyfile(library, target)
        os.chmod(target, 0o755)


class BinaryDistribution(Distribution):
    """Says the package holds native code, so it installs to platlib and the wheel is not pure."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """A wheel tagged for this platform (it carries a native library) but any Python 3."""

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    distclass=BinaryDistribution,
    cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel},
)
