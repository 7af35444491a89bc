"""Loading the library: VF_LIBRARY_PATH, the packaged copy, and clear errors when it is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import vidiflow_auth
from vidiflow_auth import _native

PACKAGE_DIR = Path(vidiflow_auth.__file__).resolve().parent
INSTALLED_LIBRARY = PACKAGE_DIR / "libvidiflow_auth.so"

PROBE = """
import sys
try:
    import vidiflow_auth
except ImportError as error:
    print(type(error).__name__ + ": " + str(error))
    sys.exit(3)
print("loaded " + vidiflow_auth.library_path)
"""


def run_import(env_overrides: dict, path_first: Path = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "VF_LIBRARY_PATH"}
    env.update(env_overrides)
    code = PROBE
    if path_first is not None:
        code = f"import sys; sys.path.insert(0, {str(path_first)!r})\n" + PROBE
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60)


def test_the_wheel_carries_the_library_next_to_the_module() -> None:
    assert INSTALLED_LIBRARY.is_file()
    assert Path(vidiflow_auth.library_path) == INSTALLED_LIBRARY


def test_abi_version_is_checked() -> None:
    assert _native.lib.vf_abi_version() == vidiflow_auth.ABI_VERSION == 1


def test_missing_library_from_vf_library_path_says_where_it_looked(tmp_path) -> None:
    missing = tmp_path / "nowhere" / "libvidiflow_auth.so"
    result = run_import({"VF_LIBRARY_PATH": str(missing)})
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith("LibraryLoadError: ")
    assert str(missing) in result.stdout
    assert "VF_LIBRARY_PATH" in result.stdout
    # An explicit path that fails does not fall back to the packaged copy.
    assert str(INSTALLED_LIBRARY) not in result.stdout


def test_missing_packaged_library_says_where_it_looked(tmp_path) -> None:
    copy = tmp_path / "vidiflow_auth"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    result = run_import({}, path_first=tmp_path)
    assert result.returncode == 3, result.stderr
    assert str(copy / "libvidiflow_auth.so") in result.stdout
    assert "next to the module" in result.stdout and "VF_LIBRARY_PATH" in result.stdout


def test_uncaught_load_error_is_readable(tmp_path) -> None:
    missing = tmp_path / "libvidiflow_auth.so"
    env = dict(os.environ, VF_LIBRARY_PATH=str(missing))
    result = subprocess.run([sys.executable, "-c", "import vidiflow_auth"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("vidiflow_auth._native.LibraryLoadError: vidiflow_auth: cannot load")
    assert str(missing) in last_line


def test_vf_library_path_overrides_the_packaged_copy(tmp_path) -> None:
    other = tmp_path / "elsewhere" / "libvidiflow_auth.so"
    other.parent.mkdir()
    shutil.copyfile(INSTALLED_LIBRARY, other)
    result = run_import({"VF_LIBRARY_PATH": str(other)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"loaded {other}"


def test_a_file_that_is_not_a_library(tmp_path) -> None:
    bogus = tmp_path / "libvidiflow_auth.so"
    bogus.write_text("not an ELF file")
    result = run_import({"VF_LIBRARY_PATH": str(bogus)})
    assert result.returncode == 3
    assert str(bogus) in result.stdout and "cannot be loaded" in result.stdout


def c_compiler() -> str:
    """The C compiler the stand-in libraries are built with. make test needs gcc anyway (the C
    tests), so a missing one fails the test rather than skipping it (a skip would pass unseen)."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.fail("no C compiler (cc or gcc) to build a stand-in library with")
    return compiler


def test_a_library_with_another_abi_version_is_refused(tmp_path) -> None:
    # A stand-in with every symbol, whose vf_abi_version() says 2.
    stubs = [f"int {name}(void) {{ return 0; }}" for name, _, _ in _native._SIGNATURES
             if name != "vf_abi_version"]
    source = tmp_path / "stub.c"
    source.write_text("\n".join(stubs + ["unsigned vf_abi_version(void) { return 2; }", ""]))
    library = tmp_path / "libvidiflow_auth.so"
    subprocess.run([c_compiler(), "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    result = run_import({"VF_LIBRARY_PATH": str(library)})
    assert result.returncode == 3
    assert "ABI version 2" in result.stdout and "ABI version 1" in result.stdout


def test_a_library_missing_functions_is_refused(tmp_path) -> None:
    source = tmp_path / "stub.c"
    source.write_text("unsigned vf_abi_version(void) { return 1; }\n")
    library = tmp_path / "libvidiflow_auth.so"
    subprocess.run([c_compiler(), "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    result = run_import({"VF_LIBRARY_PATH": str(library)})
    assert result.returncode == 3
    assert "lacks" in result.stdout and "vf_token_get" in result.stdout


def test_on_windows_the_dll_is_loaded_by_full_path_with_its_folder_searched(monkeypatch, tmp_path) -> None:
    # No Windows here: the two calls the loader makes there (os.add_dll_directory, then
    # ctypes.CDLL) are recorded instead, with the platform reported as win32.
    calls = []

    class DllDirectory:
        def __init__(self, path: str) -> None:
            self.path = path

        def __enter__(self) -> "DllDirectory":
            calls.append(("add", self.path))
            return self

        def __exit__(self, *exc_info: object) -> None:
            calls.append(("remove", self.path))

    monkeypatch.setattr(_native.sys, "platform", "win32")
    monkeypatch.setattr(_native.os, "add_dll_directory", DllDirectory, raising=False)
    monkeypatch.setattr(_native.ctypes, "CDLL", lambda name: calls.append(("load", name)) or "loaded")
    monkeypatch.chdir(tmp_path)
    folder = tmp_path.resolve() / "native"

    assert _native._load_file(Path("native") / "vidiflow_auth.dll") == "loaded"
    assert calls == [("add", str(folder)), ("load", str(folder / "vidiflow_auth.dll")), ("remove", str(folder))]
